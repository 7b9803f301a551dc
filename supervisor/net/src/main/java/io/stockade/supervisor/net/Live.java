package io.stockade.supervisor.net;

import io.stockade.policy.EgressRule;
import java.util.List;

/**
 * A sandbox attached by this run of the manager: its slot's addresses and what its tables were
 * built from (the spec, and the addresses its DNS names resolved to).
 */
record Live(SlotAddresses addresses, EgressSpec spec, List<EgressRule> pinned) {}
