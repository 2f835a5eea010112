import type { FastifyInstance } from 'fastify';
import type { NodeCore } from '../../core/index.js';
import { PushmeshError } from '../../errors/index.js';
import { parseRecent } from '../recent-param.js';

/**
 * `GET /statuses?recent=N`: the delivery status of the N messages this
 * node sent whose status changed last, newest first (default 20, at most
 * 1000), as `{"statuses": [{"id","to","state","reason"?,"receipt","updated"}]}`
 * — the same objects `GET /msg/status/<id>` answers (docs/local-api.md).
 * Not under `/msg/`, where `GET /msg/<topic>` reads any topic.
 */
export function registerStatusListRoutes(app: FastifyInstance, core: NodeCore): void {
  app.get<{ Querystring: Record<string, unknown> }>('/statuses', async (req) => {
    const unknown = Object.keys(req.query).filter((k) => k !== 'recent');
    if (unknown.length > 0) throw new PushmeshError('ERR_BAD_ARGUMENT', `unknown parameter "${unknown[0]!.slice(0, 40)}": only "recent" is read`);
    const recent = parseRecent(req.query['recent']);
    return { statuses: core.recentStatuses?.(recent) ?? [] };
  });
}
