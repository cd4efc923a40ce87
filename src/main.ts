// Process entry: read the configuration, start OpenZap, stop gracefully on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config.js';
import { startOpenZap } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`OpenZap: invalid configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const oz = await startOpenZap(config);
  if (oz.generatedPartnerToken) {
    // Shown once: only its hash is stored.
    console.log(`\nOpenZap partner token (shown only now, keep it safe): ${oz.generatedPartnerToken}\n`);
  }
  console.log(`OpenZap listening on ${oz.url} (database: ${oz.ctx.store.dialect}, docs: ${oz.url}/docs)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`OpenZap: ${signal} received, finishing in-flight work…`);
    // Long enough for the send under way (a delayTyping of up to 15 s) and one webhook request.
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    oz.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error('OpenZap failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
