// Runs bench children: forks them, waits until each has opened its database ('ready'), starts
// them together ('go'), collects one 'result' from each and waits for every exit.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** How long a child may take to open, or to finish after its measured window, before it is killed. */
const CHILD_GRACE_MS = 60_000;

/**
 * Forks `configs.length` copies of `script` (in this folder), each given its config as JSON in
 * argv[2]. Once all are ready, sends `go` (with `startAt`, the same wall-clock start for all) and
 * resolves to their results, in order. A child that fails, exits early or overruns `timeoutMs`
 * rejects the whole run (its siblings are killed). `onGo` is called as `go` is sent, `onResults`
 * once every result has come (before the children have closed).
 */
export async function runChildren(script, configs, { execArgv = [], timeoutMs, onGo, onResults }) {
  const children = configs.map((cfg) =>
    fork(path.join(here, script), [JSON.stringify(cfg)], { execArgv, stdio: 'inherit' }),
  );
  const kill = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  const timer = setTimeout(kill, timeoutMs + CHILD_GRACE_MS);
  timer.unref();
  // Every wait is handled even when another child's failure ends the run first.
  const message = (child, type) => {
    const p = new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m?.type === 'error') reject(new Error(`bench child: ${m.message}`));
        else if (m?.type === type) {
          child.off('message', onMessage);
          resolve(m);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) =>
        reject(new Error(`bench child exited (${code ?? signal}) before '${type}'`)),
      );
    });
    p.catch(() => {});
    return p;
  };
  const exits = children.map(
    (c) =>
      new Promise((resolve) => {
        if (c.exitCode !== null) resolve(c.exitCode);
        else c.once('exit', (code) => resolve(code));
      }),
  );
  try {
    await Promise.all(children.map((c) => message(c, 'ready')));
    const results = children.map((c) => message(c, 'result'));
    const startAt = Date.now() + 100;
    for (const c of children) c.send({ type: 'go', startAt });
    onGo?.(startAt);
    const out = await Promise.all(results);
    onResults?.();
    const codes = await Promise.all(exits);
    if (codes.some((code) => code !== 0)) throw new Error(`bench child exit codes ${codes}`);
    return out;
  } catch (err) {
    kill();
    await Promise.all(exits);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** In a child: waits for the parent's `go`, then until its `startAt`; returns the message. */
export function awaitGo() {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m?.type !== 'go') return;
      process.off('message', onMessage);
      setTimeout(() => resolve(m), Math.max(0, m.startAt - Date.now()));
    };
    process.on('message', onMessage);
  });
}

/** In a child: sends a message to the parent; resolves once it is handed to the IPC channel. */
export const send = (m) => new Promise((resolve) => process.send(m, () => resolve()));

/** In a child: runs `main`, reports a failure to the parent, and lets the process end. */
export async function childMain(main) {
  try {
    await main(JSON.parse(process.argv[2]));
  } catch (err) {
    await send({ type: 'error', message: err?.stack ?? String(err) });
    process.exitCode = 1;
  } finally {
    process.disconnect?.();
  }
}
