import type { CorpusMessage } from './corpus.js';
import type { Figures } from './metrics.js';
import { engineFigures } from './figures.js';
import { scoreWithEngine, trainModel, type EngineScoredMessage } from './ours.js';
import { crossValidationFold } from './split.js';

/**
 * K-fold cross-validation inside the training part: each fold is scored by a model learned on
 * the other folds. Tuning reads only these figures, so the test part stays unseen.
 */
export async function crossValidate(
  train: readonly CorpusMessage[],
  folds: number,
  log: (line: string) => void,
): Promise<Figures[]> {
  const results: EngineScoredMessage[] = [];
  for (let fold = 0; fold < folds; fold += 1) {
    const inFold = (message: CorpusMessage) => crossValidationFold(message.name, folds) === fold;
    const { model } = await trainModel(train.filter((message) => !inFold(message)));
    const run = await scoreWithEngine(model, train.filter(inFold));
    log(`fold ${fold + 1}/${folds}: scored ${run.results.length} messages`);
    results.push(...run.results);
  }
  return engineFigures(results);
}
