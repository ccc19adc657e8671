package org.hoststated.ctl;

/**
 * One thing hoststatectl does, named by a path of keywords in {@link Grammar}. Runs once, on
 * the caller's thread, in the short-lived CLI JVM.
 */
interface Command {
    /**
     * @param argument the command's argument ({@code <id|name>}), or null when it takes none
     * @return the exit status: {@link Hoststatectl#EXIT_OK} or {@link Hoststatectl#EXIT_FAILURE}
     * @throws ControlException when the daemon cannot be reached or answers something malformed
     */
    int run(CtlContext ctx, String argument) throws ControlException;
}
