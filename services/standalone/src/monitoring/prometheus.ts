import { prometheusBinary } from '@chatorbit/shared/testing';

/** promtool's path (Debian's `prometheus` package). */
export const promtool = () => prometheusBinary('promtool');
