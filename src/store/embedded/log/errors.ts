/**
 * The log's one refusal: the disk would not take or keep a write (ENOSPC,
 * EIO...). Its message is the whole answer, in Qdrant's words for a 500
 * ("Service internal error: …"); the wire sends it with that status.
 */

import { StoreError } from "../../../errors.js";

/** A write the log could not persist; nothing of the request was applied, or it is not acknowledged. */
export class LogError extends StoreError {}
