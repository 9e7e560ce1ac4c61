import { loadConfig } from '../config.js';
import { build } from '../compose.js';

/** Runs until SIGINT/SIGTERM, then stops taking requests and flushes every accepted hit. */
export async function serveCommand(flags: { port?: string }): Promise<number> {
  const config = loadConfig(process.env, { PORT: flags.port });
  const { app } = await build({ config });
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ publicUrl: config.publicUrl, database: config.database.dialect }, 'mailsight serving');
  await waitForSignal();
  await app.close();
  return 0;
}

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
