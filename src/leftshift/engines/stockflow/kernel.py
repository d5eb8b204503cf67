"""The stock-flow engine's inner loop, compiled with numba.

One call integrates a batch of parameter sets (columns) over every step: RK4 for the flows, then
capacity and programme places, costs and recording. The loops run over the batch innermost, so the
compiler vectorises them; numpy would need several temporary arrays per operation instead. Nothing
here knows about scenarios: `stockflow.py` builds every array and index.
"""

from __future__ import annotations

import numpy as np
from numba import njit

WAIT, OVERFLOW, LOST = 0, 1, 2
WEEKS_PER_YEAR = 365.25 / 7
NEGLIGIBLE = 1e-9  # people: a stock this close to zero from rounding is left alone


@njit(cache=True, nogil=True, error_model="numpy")
def _derivative(
    x, rate, out_rate, src, dst, entry_stocks, entrants, growth, q_idx, q_target, kappa, d
):  # pragma: no cover
    m_stocks, n_members = x.shape
    for m in range(m_stocks):
        for n in range(n_members):
            d[m, n] = -out_rate[m, n] * x[m, n]
    for e in range(len(src)):
        s, g = src[e], dst[e]
        for n in range(n_members):
            d[g, n] += rate[e, n] * x[s, n]
    for b in range(len(entry_stocks)):
        g = entry_stocks[b]
        for n in range(n_members):
            d[g, n] += entrants[b, n] * growth[n]
    for i in range(len(q_idx)):  # admissions from queues, at a steady rate as places free up
        q, g = q_idx[i], q_target[i]
        for n in range(n_members):
            d[q, n] -= kappa[i, n]
            d[g, n] += kappa[i, n]


@njit(cache=True, nogil=True, error_model="numpy")
def integrate(
    x0, rate, out_rate, src, dst, src_ptr, src_edges, entry_stocks, entrants, log_growth,
    n_steps, h, period_of_step, period_last_step,
    rule, n_cap, capacity, budget, cost_per_place, build_years, loss_years, initial_places,
    occ_ptr, occ_idx, adm_ptr, adm_idx, adm_join, adm_sources, dep_ptr, dep_idx, q_ptr, q_idx, q_target, q_trans,
    comp_of_stock, weekly_cost, transition_of, transition_cost, overflow_premium, res_comp,
    programme_payer, cost_growth, discount_rate, priced,
    stocks, person_years, flows, blocked, queue_admits, entrants_rec, occupied, places_rec, waiting,
    over_cap, over_py, funded_rec, referrals, costs, costs_disc,
):  # pragma: no cover  (compiled; covered through stockflow.simulate)  # fmt: skip
    m_stocks, n_members = x0.shape
    n_edges = len(src)
    n_res = len(rule)
    n_prog = budget.shape[0]
    n_years = budget.shape[1]
    n_comp = weekly_cost.shape[0]
    n_trans = transition_cost.shape[0]
    n_payers = weekly_cost.shape[1]
    x = x0.copy()
    xs = np.empty_like(x)
    xn = np.empty_like(x)
    d = np.empty_like(x)
    pacc = np.empty_like(x)
    out_now = out_rate.copy()
    rate_now = rate.copy()
    f = np.empty((n_edges, n_members))
    ent = np.empty((len(entry_stocks), n_members))
    places = initial_places.copy()
    funded = np.zeros((n_prog, n_members))
    step_admit = np.zeros((len(q_idx), n_members))
    psi = np.ones((n_res, n_members))
    kappa = np.zeros((len(q_idx), n_members))
    refused = np.zeros((len(adm_idx), n_members))
    cost = np.zeros((costs.shape[1], n_payers, n_members))
    by_comp = np.zeros((n_comp, n_members))
    by_trans = np.zeros((n_trans, n_members))
    g_start, g_mid, g_end = np.zeros(n_members), np.zeros(n_members), np.zeros(n_members)
    work = np.zeros((5, n_members))
    cap, space, queued, wanted, total = work[0], work[1], work[2], work[3], work[4]
    comp_priced = np.zeros(n_comp, dtype=np.bool_)
    for c in range(n_comp):
        comp_priced[c] = priced[c].any()
    trans_priced = np.zeros(n_trans, dtype=np.bool_)
    for tr in range(n_trans):
        trans_priced[tr] = priced[n_comp + tr].any()
    # real growth of unit costs and discounting, evaluated at mid-step: (1 + rate) ** (t + h/2)
    growth_step = (1.0 + cost_growth) ** h
    discount_step = (1.0 + discount_rate) ** -h
    growth = (1.0 + cost_growth) ** (-0.5 * h)
    discount = (1.0 + discount_rate) ** (0.5 * h)
    # rate at which each occupant leaves its resource (unscaled rates: admissions elsewhere do not
    # change how fast people leave), so expected departures are one pass over the occupants
    leave = np.zeros((len(occ_idx), n_members))
    position = np.full(m_stocks, -1)
    for r in range(n_res):
        for i in range(occ_ptr[r], occ_ptr[r + 1]):
            position[occ_idx[i]] = i
        for j in range(dep_ptr[r], dep_ptr[r + 1]):
            e = dep_idx[j]
            for n in range(n_members):
                leave[position[src[e]], n] += rate[e, n]
        for i in range(occ_ptr[r], occ_ptr[r + 1]):
            position[occ_idx[i]] = -1
    stocks[0] = x
    for step in range(n_steps):
        t = step * h
        per = period_of_step[step]

        # Programme places follow funding with a first-order delay, faster down than up.
        year = min(int(np.floor(t + 0.5 * h)), n_years - 1)
        for p in range(n_prog):
            for n in range(n_members):
                target = budget[p, year, n] / cost_per_place[p, n]
                tau = build_years[p, n] if target > places[p, n] else loss_years[p, n]
                if tau > 0:
                    places[p, n] = target + (places[p, n] - target) * np.exp(-h / tau)
                else:
                    places[p, n] = target
                funded[p, n] = target

        # Share of each resource's new demand that fits in the places expected to be free during
        # the step (after those already waiting). Admission rates are scaled by it *inside* the
        # RK4 stages, so refused people stay where they are for the whole step.
        for r in range(n_res):
            for n in range(n_members):
                cap[n] = capacity[r, n] if r < n_cap else places[r - n_cap, n]
                space[n] = cap[n]
                queued[n] = 0.0
                wanted[n] = 0.0
            for i in range(occ_ptr[r], occ_ptr[r + 1]):
                for n in range(n_members):  # occupants, less those expected to leave during the step
                    space[n] -= x[occ_idx[i], n] * (1.0 - h * leave[i, n])
            for i in range(q_ptr[r], q_ptr[r + 1]):
                for n in range(n_members):
                    queued[n] += x[q_idx[i], n]
            for i in range(adm_ptr[r], adm_ptr[r + 1]):
                e = adm_idx[i]
                for n in range(n_members):
                    wanted[n] += h * rate[e, n] * x[src[e], n]
            for n in range(n_members):
                # those waiting are admitted first, at a steady rate through the step (kappa)
                from_queue = min(queued[n], max(space[n], 0.0))
                total[n] = from_queue / queued[n] / h if queued[n] > 0.0 else 0.0
                free = space[n] - from_queue
                if rule[r] == OVERFLOW or wanted[n] <= max(free, 0.0):
                    psi[r, n] = 1.0
                else:
                    psi[r, n] = max(free, 0.0) / wanted[n]  # wanted > 0 here
            for i in range(adm_ptr[r], adm_ptr[r + 1]):
                e = adm_idx[i]
                for n in range(n_members):
                    rate_now[e, n] = rate[e, n] * psi[r, n]
            for i in range(q_ptr[r], q_ptr[r + 1]):
                for n in range(n_members):
                    kappa[i, n] = total[n] * x[q_idx[i], n]  # people a year from this queue stock
        for m in adm_sources:  # total rate out, summed in edge order as for the unscaled rates
            for n in range(n_members):
                out_now[m, n] = 0.0
            for j in range(src_ptr[m], src_ptr[m + 1]):
                e = src_edges[j]
                for n in range(n_members):
                    out_now[m, n] += rate_now[e, n]

        # Four RK4 stages; pacc is the RK4 time-integral of each stock over the step.
        for n in range(n_members):
            g_start[n] = np.exp(log_growth[n] * t)
            g_mid[n] = np.exp(log_growth[n] * (t + 0.5 * h))
            g_end[n] = np.exp(log_growth[n] * (t + h))
        _derivative(x, rate_now, out_now, src, dst, entry_stocks, entrants, g_start, q_idx, q_target, kappa, d)
        for m in range(m_stocks):
            for n in range(n_members):
                pacc[m, n] = x[m, n]
                xs[m, n] = x[m, n] + 0.5 * h * d[m, n]
        _derivative(xs, rate_now, out_now, src, dst, entry_stocks, entrants, g_mid, q_idx, q_target, kappa, d)
        for m in range(m_stocks):
            for n in range(n_members):
                pacc[m, n] += 2.0 * xs[m, n]
                xs[m, n] = x[m, n] + 0.5 * h * d[m, n]
        _derivative(xs, rate_now, out_now, src, dst, entry_stocks, entrants, g_mid, q_idx, q_target, kappa, d)
        for m in range(m_stocks):
            for n in range(n_members):
                pacc[m, n] += 2.0 * xs[m, n]
                xs[m, n] = x[m, n] + h * d[m, n]
        for m in range(m_stocks):
            for n in range(n_members):
                pacc[m, n] = (pacc[m, n] + xs[m, n]) * (h / 6.0)
        for b in range(len(entry_stocks)):
            for n in range(n_members):
                ent[b, n] = entrants[b, n] * (h / 6.0) * (g_start[n] + 4.0 * g_mid[n] + g_end[n])
        # Flows along each edge = rate x time-integral of the source: the stock update is RK4's,
        # and summing edge by edge conserves people to rounding error.
        for m in range(m_stocks):
            for n in range(n_members):
                xn[m, n] = x[m, n]
        for e in range(n_edges):
            s, g = src[e], dst[e]
            for n in range(n_members):
                moved = rate_now[e, n] * pacc[s, n]
                f[e, n] = moved
                xn[g, n] += moved
                xn[s, n] -= moved
        for b in range(len(entry_stocks)):
            for n in range(n_members):
                xn[entry_stocks[b], n] += ent[b, n]
        for i in range(len(q_idx)):
            q, g = q_idx[i], q_target[i]
            for n in range(n_members):
                moved = min(kappa[i, n] * h, max(xn[q, n], 0.0))
                step_admit[i, n] = moved
                xn[q, n] -= moved
                xn[g, n] += moved
        _keep_non_negative(xn, f, src, dst, src_ptr, src_edges)

        # Refused demand joins the queue (`wait`) or is turned away (`lost`) at the end of the step;
        # then the places actually free are filled: first from the queue, then (`lost`) from the
        # refused, and any admissions beyond the places are undone (the estimate overshot).
        for r in range(n_res):
            for n in range(n_members):
                cap[n] = capacity[r, n] if r < n_cap else places[r - n_cap, n]
                wanted[n] = 0.0
            everyone_fits = not _any_below(psi[r], 1.0)
            for i in range(adm_ptr[r], adm_ptr[r + 1]):
                e, origin, back = adm_idx[i], src[adm_idx[i]], adm_join[i]
                if everyone_fits:
                    for n in range(n_members):
                        refused[i, n] = 0.0
                        wanted[n] += f[e, n]
                    continue
                for n in range(n_members):
                    # (never more than are left where they wait: a guard for extreme rates)
                    refused[i, n] = min(rate[e, n] * (1.0 - psi[r, n]) * pacc[origin, n], max(xn[origin, n], 0.0))
                    wanted[n] += f[e, n] + refused[i, n]
                if back >= 0:
                    for n in range(n_members):
                        xn[origin, n] -= refused[i, n]
                        xn[back, n] += refused[i, n]
            if r >= n_cap:
                for n in range(n_members):
                    referrals[per, r - n_cap, n] += wanted[n]
            for n in range(n_members):
                space[n] = cap[n]
            for i in range(occ_ptr[r], occ_ptr[r + 1]):
                for n in range(n_members):
                    space[n] -= xn[occ_idx[i], n]
            if rule[r] != OVERFLOW and _any_below(space, 0.0):
                # undo admissions beyond the places, in proportion
                for n in range(n_members):
                    total[n] = 0.0
                for i in range(adm_ptr[r], adm_ptr[r + 1]):
                    for n in range(n_members):
                        total[n] += f[adm_idx[i], n]
                for i in range(adm_ptr[r], adm_ptr[r + 1]):
                    e = adm_idx[i]
                    back = adm_join[i] if adm_join[i] >= 0 else src[e]
                    for n in range(n_members):
                        if space[n] < 0.0 and total[n] > 0.0:
                            moved = min(f[e, n] * min(-space[n] / total[n], 1.0), max(xn[dst[e], n], 0.0))
                            f[e, n] -= moved
                            xn[dst[e], n] -= moved
                            xn[back, n] += moved
                            refused[i, n] += moved
                for n in range(n_members):
                    if space[n] < 0.0:
                        space[n] = min(space[n] + total[n], 0.0)
                # still over: people admitted from the queue this step go back to it
                for n in range(n_members):
                    total[n] = 0.0
                for i in range(q_ptr[r], q_ptr[r + 1]):
                    for n in range(n_members):
                        total[n] += step_admit[i, n]
                for i in range(q_ptr[r], q_ptr[r + 1]):
                    for n in range(n_members):
                        if space[n] < 0.0 and total[n] > 0.0:
                            moved = min(step_admit[i, n] * min(-space[n] / total[n], 1.0), max(xn[q_target[i], n], 0.0))
                            step_admit[i, n] -= moved
                            xn[q_target[i], n] -= moved
                            xn[q_idx[i], n] += moved
                for n in range(n_members):
                    if space[n] < 0.0:
                        space[n] = min(space[n] + total[n], 0.0)
            # admit from the queue
            for n in range(n_members):
                queued[n] = 0.0
            for i in range(q_ptr[r], q_ptr[r + 1]):
                for n in range(n_members):
                    queued[n] += xn[q_idx[i], n]
            for n in range(n_members):
                admit = min(queued[n], max(space[n], 0.0))
                total[n] = admit / queued[n] if queued[n] > 0.0 else 0.0
                space[n] -= admit
            if q_ptr[r + 1] > q_ptr[r] and not _all_zero(total):
                for i in range(q_ptr[r], q_ptr[r + 1]):
                    for n in range(n_members):
                        moved = xn[q_idx[i], n] * total[n]
                        xn[q_idx[i], n] -= moved
                        xn[q_target[i], n] += moved
                        step_admit[i, n] += moved
            # `lost`: refused people who would have fitted after all are admitted
            if rule[r] == LOST and _any_above(space, 0.0):
                for n in range(n_members):
                    total[n] = 0.0
                for i in range(adm_ptr[r], adm_ptr[r + 1]):
                    for n in range(n_members):
                        total[n] += refused[i, n]
                for i in range(adm_ptr[r], adm_ptr[r + 1]):
                    e = adm_idx[i]
                    for n in range(n_members):
                        if space[n] > 0.0 and total[n] > 0.0:
                            moved = min(refused[i, n] * min(space[n] / total[n], 1.0), max(xn[src[e], n], 0.0))
                            refused[i, n] -= moved
                            f[e, n] += moved
                            xn[src[e], n] -= moved
                            xn[dst[e], n] += moved
            for i in range(adm_ptr[r], adm_ptr[r + 1]):
                for n in range(n_members):
                    blocked[per, i, n] += refused[i, n]
            for n in range(n_members):
                space[n] = 0.0
                queued[n] = 0.0
            for i in range(occ_ptr[r], occ_ptr[r + 1]):
                for n in range(n_members):
                    space[n] += xn[occ_idx[i], n]
            for i in range(q_ptr[r], q_ptr[r + 1]):
                for n in range(n_members):
                    queued[n] += xn[q_idx[i], n]
            for n in range(n_members):
                over = max(space[n] - cap[n], 0.0)
                occupied[per, r, n] = space[n]
                places_rec[per, r, n] = cap[n]
                waiting[per, r, n] = queued[n]
                over_cap[per, r, n] = over
                over_py[per, r, n] += over * h

        for i in range(len(q_idx)):
            for n in range(n_members):
                queue_admits[per, i, n] += step_admit[i, n]

        # Costs of the step by service and payer: real growth and discounting at mid-step.
        by_comp[:] = 0.0
        by_trans[:] = 0.0
        for m in range(m_stocks):
            c = comp_of_stock[m]
            if comp_priced[c]:
                for n in range(n_members):
                    by_comp[c, n] += pacc[m, n]
        for e in range(n_edges):
            tr = transition_of[e]
            if tr >= 0 and trans_priced[tr]:
                for n in range(n_members):
                    by_trans[tr, n] += f[e, n]
        for i in range(len(q_idx)):
            tr = q_trans[i]
            if trans_priced[tr]:
                for n in range(n_members):
                    by_trans[tr, n] += step_admit[i, n]
        for c in range(n_comp):
            for k in range(n_payers):
                if priced[c, k]:
                    for n in range(n_members):
                        cost[c, k, n] = by_comp[c, n] * weekly_cost[c, k, n] * WEEKS_PER_YEAR
        for tr in range(n_trans):
            for k in range(n_payers):
                if priced[n_comp + tr, k]:
                    for n in range(n_members):
                        cost[n_comp + tr, k, n] = by_trans[tr, n] * transition_cost[tr, k, n]
        for r in range(n_cap):
            for k in range(n_payers):
                if not priced[n_comp + n_trans + r, k]:
                    continue
                for n in range(n_members):
                    cost[n_comp + n_trans + r, k, n] = (
                        over_cap[per, r, n] * h * overflow_premium[r, n] * weekly_cost[res_comp[r], k, n]
                        * WEEKS_PER_YEAR
                    )  # fmt: skip
        for n in range(n_members):  # factors at mid-step, updated by one product a step
            growth[n] *= growth_step[n]
            discount[n] *= discount_step[n]
            g_end[n] = growth[n] * discount[n]
        for s in range(n_comp + n_trans + n_cap):
            for k in range(n_payers):
                if not priced[s, k]:
                    continue
                for n in range(n_members):
                    costs[per, s, k, n] += cost[s, k, n] * growth[n]
                    costs_disc[per, s, k, n] += cost[s, k, n] * g_end[n]
        # Budgets are set in cash at the price base: no real growth. A step that straddles the turn
        # of a year pays each year's budget for its share of the step.
        y0 = min(int(np.floor(t)), n_years - 1)
        y1 = min(int(np.floor(t + h)), n_years - 1)
        split = min(max(np.floor(t + h) - t, 0.0), h) if y1 != y0 else h
        for p in range(n_prog):
            row = n_comp + n_trans + n_cap + p
            for n in range(n_members):
                spend = budget[p, y0, n] * split + budget[p, y1, n] * (h - split)
                costs[per, row, programme_payer[p, n], n] += spend
                costs_disc[per, row, programme_payer[p, n], n] += spend * discount[n]

        for m in range(m_stocks):
            for n in range(n_members):
                person_years[per, m, n] += pacc[m, n]
                x[m, n] = xn[m, n]
        for e in range(n_edges):
            for n in range(n_members):
                flows[per, e, n] += f[e, n]
        for b in range(len(entry_stocks)):
            for n in range(n_members):
                entrants_rec[per, b, n] += ent[b, n]
        for p in range(n_prog):
            for n in range(n_members):
                funded_rec[per, p, n] = funded[p, n]
        if period_last_step[per] == step:
            stocks[per + 1] = x


@njit(cache=True, nogil=True, error_model="numpy")
def _any_below(values, limit):  # pragma: no cover
    for v in values:  # noqa: SIM110  (a plain loop: numba compiles it without a generator)
        if v < limit:
            return True
    return False


@njit(cache=True, nogil=True, error_model="numpy")
def _any_above(values, limit):  # pragma: no cover
    for v in values:  # noqa: SIM110
        if v > limit:
            return True
    return False


@njit(cache=True, nogil=True, error_model="numpy")
def _all_zero(values):  # pragma: no cover
    for v in values:  # noqa: SIM110
        if v != 0.0:
            return False
    return True


@njit(cache=True, nogil=True, error_model="numpy")
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
