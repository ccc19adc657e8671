package org.hoststated.core.proc;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.function.BiFunction;

/**
 * An {@link IoHandler} that passes every call to Netty's: the engines wrap Netty's handlers
 * to change one or two things of what a loop does ({@link ShutdownCloses}, {@link EpollLoops},
 * the relay's io_uring poll mending), each overriding only those.
 */
public abstract class ForwardingIoHandler implements IoHandler {
    protected final IoHandler netty;

    protected ForwardingIoHandler(IoHandler netty) {
        this.netty = netty;
    }

    /** {@code netty}'s factory, each of whose handlers {@code wrap} wraps, given its loop. */
    public static IoHandlerFactory factory(IoHandlerFactory netty,
            BiFunction<IoHandler, ThreadAwareExecutor, IoHandler> wrap) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor loop) {
                return wrap.apply(netty.newHandler(loop), loop);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return netty.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        netty.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return netty.run(context);
    }

    @Override
    public void prepareToDestroy() {
        netty.prepareToDestroy();
    }

    @Override
    public void destroy() {
        netty.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return netty.register(handle);
    }

    @Override
    public void wakeup() {
        netty.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return netty.isCompatible(handleType);
    }
}
