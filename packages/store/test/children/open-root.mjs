// Opens (and shuts down) a store of the built package on <projectRoot>, then prints one JSON
// line: { opened } or { code, message, causeCode }. Run with a timeout: a hang is the failure.
// Usage: node open-root.mjs <projectRoot> [readonly]
import { SharedMemoryStore } from '@hivedb/store';

const [projectRoot, mode] = process.argv.slice(2);
try {
  const store = await SharedMemoryStore.open({
    projectRoot,
    ...(mode === 'readonly' ? { readonly: true } : {}),
  });
  const files = store.files;
  await store.shutdown();
  console.log(JSON.stringify({ opened: files?.memory }));
} catch (err) {
  console.log(
    JSON.stringify({ code: err.code, message: err.message, causeCode: err.cause?.code ?? null }),
  );
}
