import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  deadlineIn,
  insecureCredentials,
  InvalidArgumentError,
  target,
  traceMetadata,
  UnavailableError,
  type HostPort,
} from '@mailshield/common';
import {
  LearningClient,
  type GetModelResponse,
  type LearnRequest,
  type LearnResponse,
} from '@mailshield/proto/learning';
import { AntispamReason } from '../errors.js';

/** The control plane's Learning service as promises with a deadline. */
export interface LearningApi {
  learn(request: LearnRequest): Promise<LearnResponse>;
  getModel(knownVersion: number): Promise<GetModelResponse>;
  close(): void;
}

/**
 * Learning over gRPC. A rejected request comes back as InvalidArgumentError with the control
 * plane's field errors; any other failure as UnavailableError (AS_LEARNING_UNAVAILABLE).
 */
export class GrpcLearningApi implements LearningApi {
  private readonly client: LearningClient;

  constructor(
    address: HostPort,
    private readonly timeoutSeconds: number,
  ) {
    this.client = new LearningClient(target(address), insecureCredentials, clientChannelOptions);
  }

  learn(request: LearnRequest): Promise<LearnResponse> {
    return new Promise((resolve, reject) => {
      this.client.learn(request, traceMetadata(), this.callOptions(), (err, response) =>
        err === null ? resolve(response) : reject(translate('Learning.Learn', err)),
      );
    });
  }

  getModel(knownVersion: number): Promise<GetModelResponse> {
    return new Promise((resolve, reject) => {
      this.client.getModel({ knownVersion }, new Metadata(), this.callOptions(), (err, response) =>
        err === null ? resolve(response) : reject(translate('Learning.GetModel', err)),
      );
    });
  }

  close(): void {
    this.client.close();
  }

  private callOptions(): { deadline: Date } {
    return { deadline: deadlineIn(this.timeoutSeconds) };
  }
}

function translate(method: string, err: ServiceError): Error {
  if (err.code === GrpcStatus.INVALID_ARGUMENT) {
    const fieldErrors = (err.metadata?.get('mailshield-field-error-bin') ?? []).map((value) =>
      value.toString(),
    );
    const code = String(
      err.metadata?.get('mailshield-error-code')[0] ?? AntispamReason.trainInvalid,
    );
    return new InvalidArgumentError(
      code,
      `${method} rejected the request: ${err.details}`,
      fieldErrors,
    );
  }
  return new UnavailableError(
    AntispamReason.learningUnavailable,
    `${method} failed: ${err.message}`,
    { cause: err },
  );
}
