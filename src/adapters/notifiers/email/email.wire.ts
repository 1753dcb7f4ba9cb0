/** One e-mail as handed to the SMTP client: plain and HTML parts. */
export interface EmailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly bcc?: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Threads the live, title and offline mails of one session together in mail clients. */
  readonly messageId: string;
  readonly references?: string;
}
