import { loadConfig } from '../config.js';
import { systemClock } from '../app/ports.js';
import { createApiKey, rotateSigningKey } from '../app/keys.js';
import { openStorage } from '../adapters/storage/index.js';

export async function keysCommand(positionals: string[], values: { name?: string }): Promise<number> {
  const [sub] = positionals;
  if (sub !== 'create' && sub !== 'rotate-signing') {
    console.error(`mailsight keys: expected 'create' or 'rotate-signing', got '${sub ?? ''}'`);
    return 2;
  }
  const storage = await openStorage(loadConfig().database, systemClock);
  try {
    if (sub === 'create') {
      const { id, key } = await createApiKey(storage.keys, systemClock, values.name ?? 'default');
      console.error(`created API key ${id}; it is shown once, keep it:`);
      console.log(key);
    } else {
      const id = await rotateSigningKey(storage.keys, systemClock);
      console.log(`signing key ${id} added; running servers sign with it within a minute, older tokens keep working`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

export async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const storage = await openStorage(config.database, systemClock);
  await storage.close();
  console.log(`schema up to date (${config.database.dialect})`);
  return 0;
}
