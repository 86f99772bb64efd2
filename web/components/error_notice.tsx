import { ApiError } from "../api.ts";

/** The message of an error as it can be shown: the hub's own words for an {@link ApiError}. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An error in a red notice, with a retry button when `onRetry` is given; nothing when no error. */
export function ErrorNotice(props: { error: unknown; onRetry?: () => void }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <div class="notice bad row between" role="alert">
      <span>{errorMessage(props.error)}</span>
      {props.onRetry && (
        <button type="button" class="btn small" onClick={props.onRetry}>Retry</button>
      )}
    </div>
  );
}
