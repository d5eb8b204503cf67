"""The stock-flow engine's inner loop, compiled with numba.

One call integrates a batch of parameter sets (columns) over every step: RK4 for the flows, then
capacity and programme places, costs and recording. The loops run over the batch innermost, so the
compiler vectorises them; numpy would need several temporary arrays per operation instead. Nothing
here knows about scenarios: `engine.py` builds every array and index and hands them over grouped in
the named tuples of `arrays.py`. Each part of a step is its own compiled function, small enough to
read (compiled separately: inlining them doubled the first compile). The end of the step for each resource (the
capacity rules) is in `capacity.py`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from leftshift.engines.stockflow.arrays import JIT, OVERFLOW, PART, State
from leftshift.engines.stockflow.capacity import end_of_step, places_of

WEEKS_PER_YEAR = 365.25 / 7
NEGLIGIBLE = 1e-9  # people: a stock this close to zero from rounding is left alone


@njit(**JIT)
def integrate(net, res, inp, price, clock, rec):  # pragma: no cover  (compiled; covered through simulate)
    """Integrate every member over every step, adding into `rec`."""
    w = _state(net, res, inp, price, clock.h)
    rec.stocks[0] = w.x
    trended = np.any(inp.trend != 0.0)
    for step in range(clock.n_steps):
        t = step * clock.h
        per = clock.period_of_step[step]
        if trended:
            _trended_rates(net, res, inp, t + 0.5 * clock.h, w)
        _admission_shares(net, res, inp, clock.h, step, w)
        if clock.substeps[step] == 1:
            _rk4(net, res, inp, t, clock.h, w)
        else:
            _rk4_substeps(net, res, inp, t, clock.h, clock.substeps[step], w)
        for r in range(len(res.rule)):
            end_of_step(r, net, res, inp, clock.h, step, per, rec, w)
        _step_costs(net, res, price, clock.h, step, per, rec, w)
        _record_step(net, res, per, rec, w)
        if clock.period_last_step[per] == step:
            rec.stocks[per + 1] = w.x


@njit(**PART)
def _rk4_substeps(net, res, inp, t, h, substeps, w):  # pragma: no cover
    """The step's flows in `substeps` equal RK4 steps, at the rates (and capacity shares) set for the
    whole step: what moved, the person-time, the queue admissions and the refused who joined a queue are
    their sums, so the rest of the step (capacity, costs, records) sees one step. Each internal step starts
    where the last ended, the refused already in their queue. w.x ends at the start of the last one."""
    hs = h / substeps
    w.sum_pacc[:, :] = 0.0
    w.sum_f[:, :] = 0.0
    w.sum_ent[:, :] = 0.0
    w.sum_admit[:, :] = 0.0
    w.sum_joined[:, :] = 0.0
    for j in range(substeps):
        if j > 0:
            w.x[:, :] = w.xn
        _rk4(net, res, inp, t + j * hs, hs, w)
        w.sum_pacc[:, :] += w.pacc
        w.sum_f[:, :] += w.f
        w.sum_ent[:, :] += w.ent
        w.sum_admit[:, :] += w.step_admit
        w.sum_joined[:, :] += w.joined
    w.pacc[:, :] = w.sum_pacc
    w.f[:, :] = w.sum_f
    w.ent[:, :] = w.sum_ent
    w.step_admit[:, :] = w.sum_admit
    w.joined[:, :] = w.sum_joined


@njit(**PART)
def _state(net, res, inp, price, h):  # pragma: no cover
    m_stocks, n_members = inp.x0.shape
    n_comp, n_trans = price.weekly_cost.shape[0], price.transition_cost.shape[0]
    x = inp.x0.copy()
    comp_priced = np.zeros(n_comp, dtype=np.bool_)
    for c in range(n_comp):
        comp_priced[c] = price.priced[c].any()
    trans_priced = np.zeros(n_trans, dtype=np.bool_)
    for tr in range(n_trans):
        trans_priced[tr] = price.priced[n_comp + tr].any()
    # real growth of unit costs and discounting, evaluated at mid-step: (1 + rate) ** (t + h/2)
    growth = (1.0 + price.cost_growth) ** (-0.5 * h)
    discount = (1.0 + price.discount_rate) ** (0.5 * h)
    growth_step = (1.0 + price.cost_growth) ** h
    discount_step = (1.0 + price.discount_rate) ** -h

    z, n_bands = n_members, len(net.entry_stocks)
    return State(
        x, np.empty_like(x), np.empty_like(x), np.empty_like(x), np.empty_like(x), inp.out_rate.copy(),
        inp.rate.copy(), np.empty((len(net.src), n_members)), np.empty((len(net.entry_stocks), n_members)),
        np.zeros((len(res.q_idx), n_members)), np.ones((len(res.rule), n_members)),
        np.zeros((len(res.q_idx), n_members)), np.zeros((len(res.adm_idx), n_members)),
        _leave_rates(net, res, inp.rate, m_stocks), np.zeros((price.priced.shape[0], price.priced.shape[1], n_members)),
        np.zeros((n_comp, n_members)), np.zeros((n_trans, n_members)), np.zeros((n_bands, z)), np.zeros((n_bands, z)),
        np.zeros((n_bands, z)),
        growth, discount, np.zeros(z), growth_step, discount_step,
        np.zeros(z), np.zeros(z), np.zeros(z), np.zeros(z), np.zeros(z), comp_priced, trans_priced,
        inp.rate.copy(), np.zeros((len(res.adm_idx), n_members)), np.zeros((len(res.adm_idx), n_members)),
        np.zeros_like(x), np.zeros((len(net.src), n_members)), np.zeros((n_bands, z)),
        np.zeros((len(res.q_idx), n_members)), np.zeros((len(res.adm_idx), n_members)),
    )  # fmt: skip


@njit(**PART)
def _trended_rates(net, res, inp, t_mid, w):  # pragma: no cover
    """Rates with trends, held at their mid-step value for the step: rate x (1 + trend) ** t_mid. Only
    called when some edge has a trend, so constant-rate runs keep every bit."""
    m_stocks, n_members = w.x.shape
    for e in range(len(net.src)):
        for n in range(n_members):
            r = inp.rate[e, n] * np.exp(inp.trend[e, n] * t_mid)
            w.rate_base[e, n] = r
            w.rate_now[e, n] = r
    for m in range(m_stocks):
        for n in range(n_members):
            w.out_now[m, n] = 0.0
        for j in range(net.src_ptr[m], net.src_ptr[m + 1]):
            e = net.src_edges[j]
            for n in range(n_members):
                w.out_now[m, n] += w.rate_base[e, n]
    w.leave[:, :] = _leave_rates(net, res, w.rate_base, m_stocks)


@njit(**PART)
def _leave_rates(net, res, rate, m_stocks):  # pragma: no cover
    """Rate at which each occupant leaves its resource. Unscaled rates: admissions elsewhere do not
    change how fast people leave, so expected departures are one pass over the occupants."""
    n_members = rate.shape[1]
    leave = np.zeros((len(res.occ_idx), n_members))
    position = np.full(m_stocks, -1)
    for r in range(len(res.rule)):
        for i in range(res.occ_ptr[r], res.occ_ptr[r + 1]):
            position[res.occ_idx[i]] = i
        for j in range(res.dep_ptr[r], res.dep_ptr[r + 1]):
            e = res.dep_idx[j]
            for n in range(n_members):
                leave[position[net.src[e]], n] += rate[e, n]
        for i in range(res.occ_ptr[r], res.occ_ptr[r + 1]):
            position[res.occ_idx[i]] = -1
    return leave


@njit(**PART)
def _admission_shares(net, res, inp, h, step, w):  # pragma: no cover
    """Share psi of each resource's new demand that fits in the places expected to be free during the
    step (after those already waiting, who are admitted first at a steady rate kappa). Admission rates
    are scaled by psi *inside* the RK4 stages, so refused people stay where they are for the step."""
    x, rate, src = w.x, w.rate_base, net.src
    cap, space, queued, wanted, total = w.cap, w.space, w.queued, w.wanted, w.total
    n_members = x.shape[1]
    for r in range(len(res.rule)):
        places_of(r, res, inp, step, cap)
        _places_free(r, res, h, w)
        for n in range(n_members):
            queued[n] = 0.0
            wanted[n] = 0.0
        for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
            for n in range(n_members):
                queued[n] += x[res.q_idx[i], n]
        for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
            e = res.adm_idx[i]
            for n in range(n_members):
                wanted[n] += h * rate[e, n] * x[src[e], n]
        for n in range(n_members):
            from_queue = min(queued[n], max(space[n], 0.0))
            total[n] = from_queue / queued[n] / h if queued[n] > 0.0 else 0.0
            free = space[n] - from_queue
            if res.rule[r] == OVERFLOW or wanted[n] <= max(free, 0.0):
                w.psi[r, n] = 1.0
            else:
                w.psi[r, n] = max(free, 0.0) / wanted[n]  # wanted > 0 here
        for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
            e = res.adm_idx[i]
            for n in range(n_members):
                w.rate_now[e, n] = rate[e, n] * w.psi[r, n]
                w.joining[i, n] = rate[e, n] * (1.0 - w.psi[r, n]) if res.adm_join[i] >= 0 else 0.0
        for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
            for n in range(n_members):
                w.kappa[i, n] = total[n] * x[res.q_idx[i], n]  # people a year from this queue stock
    for m in res.adm_sources:  # total rate out, summed in edge order as for the unscaled rates
        for n in range(n_members):
            w.out_now[m, n] = 0.0
        for j in range(net.src_ptr[m], net.src_ptr[m + 1]):
            e = net.src_edges[j]
            for n in range(n_members):
                w.out_now[m, n] += w.rate_now[e, n]
    for i in range(len(res.adm_idx)):  # refused people who can wait join their queue during the step
        m = net.src[res.adm_idx[i]]
        for n in range(n_members):
            w.out_now[m, n] += w.joining[i, n]


@njit(**PART)
def _places_free(r, res, h, w):  # pragma: no cover
    """People resource r can take in during the step, into w.space (negative: over its places), for
    admissions at a steady rate through the step. Within its places: free now plus the occupants'
    expected departures. Over its places (a cut, or a start over full), what the fluid limit admits:
    nobody until departures (at mu a year) bring occupancy down to the places, then one for each
    departure, places x a with a = mu h - ln(occupied / places); taken at a steady rate, some of them
    would leave within the step and be replaced at its end, so the rate is lowered to make the two
    together a (places x mu h x (a - 1 + e^-a) / (mu h - 1 + e^-mu h))."""
    cap, space, occupied, x = w.cap, w.space, w.total, w.x
    n_members = x.shape[1]
    for n in range(n_members):
        space[n] = 0.0
        occupied[n] = 0.0
    for i in range(res.occ_ptr[r], res.occ_ptr[r + 1]):
        for n in range(n_members):
            occupied[n] += x[res.occ_idx[i], n]
            space[n] += x[res.occ_idx[i], n] * h * w.leave[i, n]  # departures at the start's rates
    for n in range(n_members):
        if occupied[n] > cap[n] > 0.0:
            z = space[n] / occupied[n]
            a = z - math.log(occupied[n] / cap[n])
            space[n] = cap[n] * a if a <= 0.0 else cap[n] * z * (a + math.expm1(-a)) / (z + math.expm1(-z))
        else:
            space[n] += cap[n] - occupied[n]


@njit(**PART)
def _derivative(x, w, net, res, inp, growth, migrating):  # pragma: no cover
    """dx/dt into w.d: flows out and in at the scaled rates, entrants (and net migration), admissions from queues."""
    d, rate, src, dst = w.d, w.rate_now, net.src, net.dst
    m_stocks, n_members = x.shape
    for m in range(m_stocks):
        for n in range(n_members):
            d[m, n] = -w.out_now[m, n] * x[m, n]
    for e in range(len(src)):
        s, g = src[e], dst[e]
        for n in range(n_members):
            d[g, n] += rate[e, n] * x[s, n]
    for b in range(len(net.entry_stocks)):
        g = net.entry_stocks[b]
        for n in range(n_members):
            d[g, n] += inp.entrants[b, n] * growth[b, n]
        if migrating:
            for n in range(n_members):
                d[g, n] += inp.migration[b, n]
    for i in range(len(res.adm_idx)):  # refused demand joining the queue (out of its source: in out_now)
        q, s = res.adm_join[i], src[res.adm_idx[i]]
        if q >= 0:
            for n in range(n_members):
                d[q, n] += w.joining[i, n] * x[s, n]
    for i in range(len(res.q_idx)):  # admissions from queues, at a steady rate as places free up
        q, g = res.q_idx[i], res.q_target[i]
        for n in range(n_members):
            d[q, n] -= w.kappa[i, n]
            d[g, n] += w.kappa[i, n]


@njit(**PART)
def _rk4(net, res, inp, t, h, w):  # pragma: no cover
    """Four RK4 stages; pacc is the RK4 time-integral of each stock over the step. Flows along each
    edge = rate x time-integral of the source, so the stock update is RK4's and summing edge by edge
    conserves people to rounding error; the refused who can wait join their queue the same way."""
    x, xs, xn, d, pacc, f = w.x, w.xs, w.xn, w.d, w.pacc, w.f
    g_start, g_mid, g_end = w.g_start, w.g_mid, w.g_end
    m_stocks, n_members = x.shape
    migrating = np.any(inp.migration != 0.0)
    for b in range(len(net.entry_stocks)):
        for n in range(n_members):
            g_start[b, n] = np.exp(inp.log_growth[b, n] * t)
            g_mid[b, n] = np.exp(inp.log_growth[b, n] * (t + 0.5 * h))
            g_end[b, n] = np.exp(inp.log_growth[b, n] * (t + h))
    _derivative(x, w, net, res, inp, g_start, migrating)
    for m in range(m_stocks):
        for n in range(n_members):
            pacc[m, n] = x[m, n]
            xs[m, n] = x[m, n] + 0.5 * h * d[m, n]
    _derivative(xs, w, net, res, inp, g_mid, migrating)
    for m in range(m_stocks):
        for n in range(n_members):
            pacc[m, n] += 2.0 * xs[m, n]
            xs[m, n] = x[m, n] + 0.5 * h * d[m, n]
    _derivative(xs, w, net, res, inp, g_mid, migrating)
    for m in range(m_stocks):
        for n in range(n_members):
            pacc[m, n] += 2.0 * xs[m, n]
            xs[m, n] = x[m, n] + h * d[m, n]
    for m in range(m_stocks):
        for n in range(n_members):
            pacc[m, n] = (pacc[m, n] + xs[m, n]) * (h / 6.0)
    for b in range(len(net.entry_stocks)):
        for n in range(n_members):
            w.ent[b, n] = inp.entrants[b, n] * (h / 6.0) * (g_start[b, n] + 4.0 * g_mid[b, n] + g_end[b, n])
            if migrating:
                w.ent[b, n] += inp.migration[b, n] * h
    for m in range(m_stocks):
        for n in range(n_members):
            xn[m, n] = x[m, n]
    for e in range(len(net.src)):
        s, g = net.src[e], net.dst[e]
        for n in range(n_members):
            moved = w.rate_now[e, n] * pacc[s, n]
            f[e, n] = moved
            xn[g, n] += moved
            xn[s, n] -= moved
    for b in range(len(net.entry_stocks)):
        g = net.entry_stocks[b]
        for n in range(n_members):
            xn[g, n] += w.ent[b, n]
            if migrating and inp.migration[b, n] < 0.0 and xn[g, n] < 0.0:  # out-migration capped by the stock
                back = min(-xn[g, n], -inp.migration[b, n] * h)
                w.ent[b, n] += back
                xn[g, n] += back
    for i in range(len(res.q_idx)):
        q, g = res.q_idx[i], res.q_target[i]
        for n in range(n_members):
            moved = min(w.kappa[i, n] * h, max(xn[q, n], 0.0))
            w.step_admit[i, n] = moved
            xn[q, n] -= moved
            xn[g, n] += moved
    _keep_non_negative(xn, f, net.src, net.dst, net.src_ptr, net.src_edges)
    _join_queues(net, res, w)


@njit(**PART)
def _join_queues(net, res, w):  # pragma: no cover
    """Refused people who can wait move into their queue: joining rate x the RK4 time-integral of where
    they were, as the stages had them move (never more than are left there: a guard for extreme rates).
    Moved here, not at the step's end, so that an internal step starts with them in the queue."""
    xn, n_members = w.xn, w.xn.shape[1]
    for i in range(len(res.adm_idx)):
        q, s = res.adm_join[i], net.src[res.adm_idx[i]]
        for n in range(n_members):
            moved = min(w.joining[i, n] * w.pacc[s, n], max(xn[s, n], 0.0)) if q >= 0 else 0.0
            w.joined[i, n] = moved
            if moved > 0.0:
                xn[s, n] -= moved
                xn[q, n] += moved


@njit(**PART)
def _step_costs(net, res, price, h, step, per, rec, w):  # pragma: no cover
    """Costs of the step by service and payer (`pricing.py` says what is priced), with real growth
    and discounting at mid-step; then the programmes' budgets, in cash (no real growth)."""
    cost, n_members = w.cost, w.x.shape[1]
    n_comp, n_trans, n_payers = price.weekly_cost.shape[0], price.transition_cost.shape[0], price.priced.shape[1]
    _quantities(net, res, w)
    for c in range(n_comp):
        for k in range(n_payers):
            if price.priced[c, k]:
                for n in range(n_members):
                    cost[c, k, n] = w.by_comp[c, n] * price.weekly_cost[c, k, n] * WEEKS_PER_YEAR
    for tr in range(n_trans):
        for k in range(n_payers):
            if price.priced[n_comp + tr, k]:
                for n in range(n_members):
                    cost[n_comp + tr, k, n] = w.by_trans[tr, n] * price.transition_cost[tr, k, n]
    for r in range(res.n_cap):
        for k in range(n_payers):
            if not price.priced[n_comp + n_trans + r, k]:
                continue
            for n in range(n_members):
                cost[n_comp + n_trans + r, k, n] = (
                    rec.over_capacity[per, r, n] * h * price.overflow_premium[r, n]
                    * price.weekly_cost[res.res_comp[r], k, n] * WEEKS_PER_YEAR
                )  # fmt: skip
    growth, discount, both = w.growth, w.discount, w.both
    for n in range(n_members):  # factors at mid-step, updated by one product a step
        growth[n] *= w.growth_step[n]
        discount[n] *= w.discount_step[n]
        both[n] = growth[n] * discount[n]
    if price.annual.any():  # Green Book annual discounting: (1 + r)^-floor(t) at mid-step, year 0 undiscounted
        discount = np.empty(n_members)
        for n in range(n_members):
            discount[n] = (
                (1.0 + price.discount_rate[n]) ** -math.floor((step + 0.5) * h) if price.annual[n] else w.discount[n]
            )
            both[n] = growth[n] * discount[n]
    for s in range(n_comp + n_trans + res.n_cap):
        for k in range(n_payers):
            if not price.priced[s, k]:
                continue
            for n in range(n_members):
                rec.costs[per, s, k, n] += cost[s, k, n] * growth[n]
                rec.costs_discounted[per, s, k, n] += cost[s, k, n] * both[n]
    for p in range(price.spend.shape[1]):
        row = n_comp + n_trans + res.n_cap + p
        for n in range(n_members):
            spend = price.spend[step, p, n]
            rec.costs[per, row, price.programme_payer[p, n], n] += spend
            rec.costs_discounted[per, row, price.programme_payer[p, n], n] += spend * discount[n]


@njit(**PART)
def _quantities(net, res, w):  # pragma: no cover
    """What is priced: person-years by compartment and moves by transition (queue admissions count as
    their queue's transition), only where some member pays for them."""
    n_members = w.x.shape[1]
    w.by_comp[:] = 0.0
    w.by_trans[:] = 0.0
    for m in range(w.x.shape[0]):
        c = net.comp_of_stock[m]
        if w.comp_priced[c]:
            for n in range(n_members):
                w.by_comp[c, n] += w.pacc[m, n]
    for e in range(len(net.src)):
        tr = net.transition_of[e]
        if tr >= 0 and w.trans_priced[tr]:
            for n in range(n_members):
                w.by_trans[tr, n] += w.f[e, n]
    for i in range(len(res.q_idx)):
        tr = res.q_trans[i]
        if w.trans_priced[tr]:
            for n in range(n_members):
                w.by_trans[tr, n] += w.step_admit[i, n]


@njit(**PART)
def _record_step(net, res, per, rec, w):  # pragma: no cover
    """Add the step's person-years, flows, entrants and queue admissions; the step's end is the next's start."""
    m_stocks, n_members = w.x.shape
    for i in range(len(res.q_idx)):
        for n in range(n_members):
            rec.queue_admits[per, i, n] += w.step_admit[i, n]
    for m in range(m_stocks):
        for n in range(n_members):
            rec.person_years[per, m, n] += w.pacc[m, n]
            w.x[m, n] = w.xn[m, n]
    for e in range(len(net.src)):
        for n in range(n_members):
            rec.flows[per, e, n] += w.f[e, n]
    for b in range(len(net.entry_stocks)):
        for n in range(n_members):
            rec.entrants[per, b, n] += w.ent[b, n]


@njit(**PART)
def _keep_non_negative(xn, f, src, dst, src_ptr, src_edges):  # pragma: no cover
    """Scale down the outflows of any stock that would go negative (a guard; RK4 rarely needs it)."""
    m_stocks, n_members = xn.shape
    for _ in range(10):
        lowest = 0.0
        for m in range(m_stocks):
            for n in range(n_members):
                lowest = min(lowest, xn[m, n])
        if lowest >= -NEGLIGIBLE:  # rounding in a stock that is all but empty is not worth a pass
            return
        clean = True
        for m in range(m_stocks):
            for n in range(n_members):
                if xn[m, n] >= -NEGLIGIBLE:
                    continue
                out = 0.0
                for i in range(src_ptr[m], src_ptr[m + 1]):
                    out += f[src_edges[i], n]
                if out <= 0.0:
                    continue
                clean = False
                keep = max(xn[m, n] + out, 0.0) / out
                for i in range(src_ptr[m], src_ptr[m + 1]):
                    e = src_edges[i]
                    back = f[e, n] * (1.0 - keep)
                    f[e, n] -= back
                    xn[dst[e], n] -= back
                    xn[m, n] += back
        if clean:
            return
