package io.stockade.supervisor.lifecycle;

/** Who created a sandbox; only this uid (and root) can see or act on it. */
public record Owner(int uid, int gid, String userName) {}
