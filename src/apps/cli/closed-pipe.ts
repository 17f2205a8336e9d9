/**
 * Ends the process quietly, with status 0, when the reader of `stream` goes away: `music db list
 * | head -1` has done what was asked once head has its line. Node ignores SIGPIPE, so a write to
 * a closed pipe fails with EPIPE instead, which would otherwise be an unhandled 'error' event
 * and a stack trace. Nothing is left worth doing: whatever else the command would print has no
 * reader, and the work it did (a read, or writes already acknowledged) is complete or harmless
 * to abandon, as when the process is killed by SIGPIPE in other tools.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
