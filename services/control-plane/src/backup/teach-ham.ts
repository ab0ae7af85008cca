import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  deadlineIn,
  formatHostPort,
  insecureCredentials,
  UnavailableError,
  type HostPort,
} from '@mailshield/common';
import { AntispamClient, type TrainResponse } from '@mailshield/proto/antispam';
import { Label } from '@mailshield/proto/learning';
import { ErrorCodes } from '../errors.js';
import type { StoredBackup } from './backup-store.js';

/** Teaches the antispam classifier that a message stored in Backup is ham. */
export type HamTeacher = (backup: StoredBackup, actor: string) => Promise<void>;

const TRAIN_TIMEOUT_SECONDS = 30;

/**
 * Returns a teacher that calls Antispam.Train on `antispam`, with the id `backup:<id>` that
 * `mailshieldctl train --backup` uses too, so teaching a message both ways counts it once.
 * Without an antispam address every call fails with UNAVAILABLE and a message on how to configure one.
 */
export function createHamTeacher(antispam: HostPort | undefined): HamTeacher {
  if (antispam === undefined) {
    return () =>
      Promise.reject(
        new UnavailableError(
          ErrorCodes.learnUnavailable,
          'message not released: MAILSHIELD_COMPONENTS lists no "antispam" component to teach',
        ),
      );
  }
  const client = new AntispamClient(
    formatHostPort(antispam),
    insecureCredentials,
    clientChannelOptions,
  );
  return (backup, actor) =>
    new Promise<void>((resolve, reject) => {
      const request = {
        id: `backup:${backup.summary.id}`,
        raw: backup.record.raw,
        label: Label.LABEL_HAM,
        actor,
      };
      client.train(
        request,
        new Metadata(),
        { deadline: deadlineIn(TRAIN_TIMEOUT_SECONDS) },
        (err: ServiceError | null, _response: TrainResponse) => {
          if (err === null) resolve();
          else
            reject(
              new UnavailableError(
                ErrorCodes.learnUnavailable,
                `message not released: teaching the antispam failed: ${err.details || err.message}`,
                { cause: err },
              ),
            );
        },
      );
    });
}
