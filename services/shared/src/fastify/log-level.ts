import type { FastifyInstance } from 'fastify';

/** The apps of this process whose log level SIGUSR2 toggles, with their configured level. */
const apps = new Map<FastifyInstance, string>();

function toggle() {
  for (const [app, configured] of apps) {
    const level = app.log.level === 'debug' ? configured : 'debug';
    app.log.level = level;
    // warn: seen whatever the level it switches from or to.
    app.log.warn({ level, configured }, `log level set to ${level} (SIGUSR2)`);
  }
}

/**
 * Log levels at run time: SIGUSR2 (`kill -USR2 <pid>`, `kubectl exec <pod> -- kill -USR2 1`)
 * switches every app of the process to `debug`, and the next one back to LOG_LEVEL. Child loggers
 * (requests, sockets, the persister) follow their app's level.
 */
export function registerLogLevelSignal(app: FastifyInstance, configured: string) {
  if (configured === 'silent') return;
  if (apps.size === 0) process.on('SIGUSR2', toggle);
  apps.set(app, configured);
  app.addHook('onClose', async () => {
    apps.delete(app);
    if (apps.size === 0) process.off('SIGUSR2', toggle);
  });
}
