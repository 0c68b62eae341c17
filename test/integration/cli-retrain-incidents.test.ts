// `driftwatch retrain` and `driftwatch incidents` through the real built binary, against a real
// retrainer that the binary itself runs (`driftwatch service retrainer`) on the real broker and
// Redis: a manual retrain of a model nobody trained is taken (pending), decided REJECTED, and
// shows up in the incident list, in detail and as JSON.
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../shared/codec/index.js';
import { killSpawnedClis, runCliBinary, spawnCli } from '../support/cli.js';
import { readyStatus, stackEnv } from '../support/stack-env.js';
import { until } from '../support/until.js';
import { uniqueName } from '../setup/env.js';

afterEach(killSpawnedClis);

describe('driftwatch retrain and incidents (built binary)', () => {
  it('requests a retrain of an untrained model and follows its REJECTED incident', async () => {
    const stack = await stackEnv('cli-retrain');
    const port = stack.ports.retrainer!;
    const retrainer = spawnCli(['service', 'retrainer'], stack.env);
    await until('retrainer /readyz 200', () => readyStatus(port), (s) => s === 200, 90_000);
    const model = uniqueName('untrained');
    const cli = (args: string[]) => runCliBinary(args, stack.env);

    const requested = await cli(['retrain', model]);
    expect(requested).toMatchObject({ code: 0, stderr: '' });
    expect(requested.stdout).toBe(
      `Retrain of ${model} requested (pending) at http://127.0.0.1:${port}; it starts once a retrainer holds the model's lock.\n` +
        `Follow it with: driftwatch incidents ${model}\n`,
    );

    const listed = await until(
      'the REJECTED incident',
      () => cli(['incidents', model, '--json']),
      (r) => r.code === 0 && (JSON.parse(r.stdout) as Incident[])[0]?.status === 'REJECTED',
      60_000,
    );
    const [incident] = JSON.parse(listed.stdout) as Incident[];
    expect(incident).toMatchObject({ model, decision: 'REJECTED', championVersion: null });
    expect(incident!.reason).toContain(`unknown model "${model}"`);

    const text = await cli(['incidents', model]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`decision      REJECTED: unknown model "${model}"`);
    expect(text.stdout).toContain('triggers      MANUAL');
    const detail = await cli(['incidents', model, incident!.id]);
    expect(detail.code).toBe(0);
    expect(detail.stdout).toContain(incident!.id);
    const all = await cli(['incidents', '--json', '--limit', '500']);
    expect((JSON.parse(all.stdout) as Incident[]).map((i) => i.id)).toContain(incident!.id);

    const missing = await cli(['incidents', model, 'no-such-id']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^driftwatch: the retrainer at .* answered GET .* with 404/);
    expect((await cli(['incidents', '--limit', '0'])).code).toBe(2);

    expect(await retrainer.stop('SIGTERM')).toBe(0);
    const down = await cli(['retrain', model]);
    expect(down).toMatchObject({
      code: 1,
      stderr: `driftwatch: cannot reach the retrainer at http://127.0.0.1:${port} (connection refused); is it running? Set --url or DW_RETRAINER_URL\n`,
    });
  });
});
