import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExperiment } from '../../../configs/resolve';
import { ExperimentSchema } from '../../../configs/schema';
import { StoredExperimentSchema } from '../../../configs/storedConfig';

const OLD_IMAGENET = {
  pretrainedUrl: 'http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-52deb4733.pth',
  pretrainedSha256Prefix: '52deb4733',
};

// What config.json looked like before the model union (every kind with every knob) and with `backend`.
function olderFile(preset: 'smoke' | 'paper'): { today: unknown; old: Record<string, unknown> } {
  const today = resolveExperiment({ preset });
  const old = JSON.parse(JSON.stringify(today));
  old.backend = 'auto';
  old.evaluation = { corruptedRepetitions: today.evaluation.swappedRepetitions };
  old.model =
    today.model.kind === 'small-cnn'
      ? { ...today.model, pretrained: false, ...OLD_IMAGENET }
      : { ...today.model, width: 32 };
  return { today, old };
}

for (const preset of ['smoke', 'paper'] as const) {
  test(`a ${preset} config.json written before the model union and the swapped rename still reads, as today's`, () => {
    const { today, old } = olderFile(preset);
    // Today's schema alone refuses it (so the upgrade is what makes it readable)...
    const strict = ExperimentSchema.safeParse(old);
    assert.equal(strict.success, false);
    assert.match(JSON.stringify(strict.error?.issues), /backend/);
    // ...the stored-config reader accepts it and gives exactly the configuration of today, except
    // the validation draws, which such files made once per run.
    const expected = JSON.parse(JSON.stringify(today));
    expected.evaluation.valBackgrounds = 'fixed';
    assert.deepEqual(StoredExperimentSchema.parse(old), expected);
  });
}

for (const preset of ['smoke', 'paper'] as const) {
  test(`a ${preset} config.json written today reads back unchanged`, () => {
    const today = resolveExperiment({ preset });
    assert.deepEqual(StoredExperimentSchema.parse(JSON.parse(JSON.stringify(today))), today);
  });
}

test('a small-CNN config.json written before model.downsampling existed reads as the strided model it trained', () => {
  const { old } = olderFile('smoke');
  delete (old.model as Record<string, unknown>).downsampling;
  const parsed = StoredExperimentSchema.parse(old) as { model: { downsampling?: string } };
  assert.equal(parsed.model.downsampling, 'strided');
});

test('the stored-config reader still names what is wrong in a damaged file', () => {
  const { old } = olderFile('smoke');
  (old.training as Record<string, unknown>).maxEpochs = -3;
  const parsed = StoredExperimentSchema.safeParse(old);
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error?.issues[0].path, ['training', 'maxEpochs']);
  assert.equal(
    StoredExperimentSchema.safeParse({ ...old, model: { kind: 'resnet', embeddingSize: 8 } }).success,
    false,
  );
});
