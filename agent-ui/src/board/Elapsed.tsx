import { clockText } from './model';

/** Time since a server timestamp, on the server's clock (`now` is this browser's, `offset` server minus browser). */
export function Elapsed({ since, now, offset, testId }: { since: number; now: number; offset: number; testId?: string }): React.JSX.Element {
  return (
    <span className="elapsed" data-testid={testId} data-since={since}>
      {clockText(now + offset - since)}
    </span>
  );
}
