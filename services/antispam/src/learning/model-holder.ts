import { readFile } from 'node:fs/promises';
import { writeFileAtomic, type Logger } from '@mailshield/common';
import { BayesModel, type BayesModelOptions } from '../engine/bayes/model.js';
import { SNAPSHOT_FORMAT, type BayesSnapshot } from '../engine/bayes/snapshot.js';
import { TOKENIZER_VERSION } from '../engine/bayes/tokenizer.js';
import type { LearningApi } from './learning-client.js';

export interface ModelHolderOptions {
  learning: LearningApi;
  /** Seconds between two GetModel polls. */
  refreshSeconds: number;
  /** File that keeps the last model for a restart without the control plane; none when undefined. */
  cacheFile: string | undefined;
  /** Model settings, such as the minimum spam and ham counts before it classifies. */
  model: Partial<BayesModelOptions>;
  logger: Logger;
}

interface CachedModel {
  version: number;
  snapshot: BayesSnapshot;
}

/**
 * The Bayes model shared through the control plane. It polls Learning.GetModel and swaps in a
 * new BayesModel when the version changes. While the control plane is away it keeps the last
 * model, and at start it loads the one cached on disk.
 */
export class ModelHolder {
  private model: BayesModel | undefined;
  private modelVersion = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private isFailing = false;

  constructor(private readonly options: ModelHolderOptions) {}

  /** The model in force, or undefined before any model arrived. */
  get current(): BayesModel | undefined {
    return this.model;
  }

  get version(): number {
    return this.modelVersion;
  }

  /** Loads the cached model and starts polling; the first poll does not delay the start. */
  async start(): Promise<void> {
    await this.loadCache();
    this.poll();
    this.timer = setInterval(() => this.poll(), this.options.refreshSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Fetches the model when its version changed. Calls are queued, so a refresh requested
   * right after a Learn installs a model that includes it. Rejects when the control plane
   * cannot be reached.
   */
  refresh(): Promise<void> {
    const next = this.refreshing.then(() => this.fetch());
    this.refreshing = next.catch(() => undefined);
    return next;
  }

  private poll(): void {
    this.refresh().then(
      () => {
        if (this.isFailing)
          this.options.logger.info(
            { event: 'antispam.bayes_model_reachable' },
            'model fetched again',
          );
        this.isFailing = false;
      },
      (err: unknown) => {
        // One warning per outage; the last model stays in force meanwhile.
        if (!this.isFailing) {
          this.options.logger.warn(
            { err, event: 'antispam.bayes_model_fetch_failed', version: this.modelVersion },
            'fetching the Bayes model failed; the last model stays in force',
          );
        }
        this.isFailing = true;
      },
    );
  }

  private async fetch(): Promise<void> {
    const response = await this.options.learning.getModel(this.modelVersion);
    if (!response.changed) return;
    const counts = JSON.parse(response.snapshotJson) as Omit<
      BayesSnapshot,
      'format' | 'tokenizerVersion'
    >;
    // The control plane stores tokens only; this service's tokenizer made them.
    const snapshot: BayesSnapshot = {
      ...counts,
      format: SNAPSHOT_FORMAT,
      tokenizerVersion: TOKENIZER_VERSION,
    };
    this.install(response.version, BayesModel.fromSnapshot(snapshot, this.options.model));
    await this.saveCache({ version: response.version, snapshot });
  }

  private install(version: number, model: BayesModel): void {
    this.model = model;
    this.modelVersion = version;
    this.options.logger.info(
      {
        event: 'antispam.bayes_model_loaded',
        version,
        spam_messages: model.spamMessages,
        ham_messages: model.hamMessages,
        tokens: model.tokenCount,
        ready: model.isReady,
      },
      'Bayes model loaded',
    );
  }

  private async loadCache(): Promise<void> {
    const file = this.options.cacheFile;
    if (file === undefined) return;
    try {
      const cached = JSON.parse(await readFile(file, 'utf8')) as CachedModel;
      this.install(cached.version, BayesModel.fromSnapshot(cached.snapshot, this.options.model));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.options.logger.warn(
        { err, event: 'antispam.bayes_cache_invalid', file },
        'the cached Bayes model cannot be loaded; waiting for the control plane',
      );
    }
  }

  private async saveCache(cached: CachedModel): Promise<void> {
    const file = this.options.cacheFile;
    if (file === undefined) return;
    try {
      await writeFileAtomic(file, JSON.stringify(cached));
    } catch (err) {
      this.options.logger.warn(
        { err, event: 'antispam.bayes_cache_write_failed', file },
        'writing the Bayes model cache failed; a restart without the control plane has no model',
      );
    }
  }
}
