import { postSlack, slackBlocksForStage } from '../../notify/slack.js';
import type { JobContext } from '../job-types.js';

/**
 * A Leganto Slack notice, as the original's `slacker(stage, text)`: text "Leganto Status
 * Update", a context line `*Leganto <stage>*`, a divider and the message. Best effort: a Slack
 * failure is logged and recorded, never the reason a load fails. Dry runs post nothing.
 */
export async function postStageNotice(ctx: JobContext, slack: string | null, stage: string, text: string): Promise<boolean> {
  if (slack === null) return false;
  if (ctx.dryRun) {
    ctx.report.delivery({ connection: slack, target: `Slack (${stage})`, mode: 'slack', status: 'dry-run' });
    return false;
  }
  try {
    const conn = ctx.connections.config(slack, 'slack');
    await postSlack(conn, { text: 'Leganto Status Update', blocks: slackBlocksForStage(stage, text) }, { redact: (t) => ctx.redact(t) });
    ctx.report.delivery({ connection: slack, target: `Slack (${stage})`, mode: 'slack', status: 'delivered' });
    return true;
  } catch (err) {
    const message = ctx.redact(err instanceof Error ? err.message : String(err));
    ctx.log.warn(`Slack notice (${stage}) not posted: ${message}`);
    ctx.report.delivery({ connection: slack, target: `Slack (${stage})`, mode: 'slack', status: 'failed', note: message });
    return false;
  }
}
