/** The list of campaigns with each one's key figures (the dashboard's first page). */
import type { FastifyInstance } from 'fastify';
import type { ReportService } from '../../app/reports.js';

export async function overviewRoutes(app: FastifyInstance, deps: { reports: ReportService }): Promise<void> {
  app.get('/campaigns/overview', { config: { access: 'read' } }, async () => ({ campaigns: await deps.reports.overview() }));
}
