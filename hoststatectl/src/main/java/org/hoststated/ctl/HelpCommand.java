package org.hoststated.ctl;

/** {@code help}, {@code -h}, {@code --help}: the usage on stdout, exit 0. */
final class HelpCommand implements Command {
    static final HelpCommand INSTANCE = new HelpCommand();

    private HelpCommand() {
    }

    @Override
    public int run(CtlContext ctx, String argument) {
        ctx.out.print(Grammar.usage(Hoststatectl.DEFAULT_SOCKET));
        ctx.out.flush();
        return Hoststatectl.EXIT_OK;
    }
}
