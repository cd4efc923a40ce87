// Two paired sandbox instances, A and B, on one test server: every webhook of A posts to
// <receiver>/a and every webhook of B to <receiver>/b, and a media file server is at hand
// for sends by URL (testEnv allows private URLs). Use it as
//   const net = new TwoInstances();
//   beforeAll(() => net.start());
//   afterAll(() => net.stop());
import { startTestServer, type TestInstance, type TestServer } from './server.js';
import { WebhookReceiver, type Delivery } from './receiver.js';
import { MediaFileServer } from './media-samples.js';
import { waitFor } from './http.js';

export type Paired = TestInstance & { phone: string };

/** An instance of the pair, or the path its webhooks post to ('a' for A, 'b' for B). */
export type Side = 'a' | 'b' | Paired;

export class TwoInstances {
  server!: TestServer;
  rx!: WebhookReceiver;
  files!: MediaFileServer;
  A!: Paired;
  B!: Paired;

  /** Start the receiver, the file server and OpenZap (with `env` added), then pair A and B. */
  async start(env: Record<string, string> = {}): Promise<this> {
    this.rx = await new WebhookReceiver().start();
    this.files = await new MediaFileServer().start();
    this.server = await startTestServer(env);
    this.A = await this.server.pairedInstance(`${this.rx.url}/a`);
    this.B = await this.server.pairedInstance(`${this.rx.url}/b`);
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    await this.rx?.stop();
    await this.files?.stop();
  }

  private path(side: Side): 'a' | 'b' {
    if (typeof side === 'string') return side;
    if (side === this.A) return 'a';
    if (side === this.B) return 'b';
    throw new Error(`instance ${side.id} is neither A nor B`);
  }

  /** The deliveries of one type made so far to A's or B's webhook (those `pred` accepts). */
  at = (side: Side, type: string, pred: (b: any) => boolean = () => true): Delivery[] =>
    this.rx.deliveries.filter((d) => d.path === `/${this.path(side)}` && d.body?.type === type && pred(d.body));

  /** Wait for the ReceivedCallback of `messageId` at A or B (the first one `pred` accepts). */
  received = (side: Side, messageId: string, pred: (b: any) => boolean = () => true): Promise<Delivery> =>
    waitFor(() => this.at(side, 'ReceivedCallback', (b) => b.messageId === messageId && pred(b))[0], 10_000, `ReceivedCallback ${messageId} at ${this.path(side)}`);

  /** An instance's row of the message store for a message id, its payload parsed (throws when there is none). */
  stored = async (inst: TestInstance, messageId: string) => {
    const row = await this.server.oz.ctx.store.db.selectFrom('messages').selectAll().where('instance_id', '=', inst.id).where('message_id', '=', messageId).executeTakeFirstOrThrow();
    return { ...row, payload: JSON.parse(row.payload) };
  };
}
