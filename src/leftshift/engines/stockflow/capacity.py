"""The end of a stock-flow step for one resource, compiled with numba (called from `kernel.py`).

Operator splitting: the RK4 stages admitted only the share of new demand expected to fit, and took
the refused share of those who can wait out of where they were as it arose, so at the end of the
step the refused demand joins the queue (`wait`) or is turned away (`lost`); then any admissions
beyond the places are undone (the estimate overshot), and the places actually free are filled,
first from the queue (a fluid first come, first served), then (`lost`) from the refused.
`overflow` admits everyone and only records the time over capacity.
"""

from __future__ import annotations

from numba import njit

from leftshift.engines.stockflow.arrays import LOST, OVERFLOW, PART


@njit(**PART)
def end_of_step(r, net, res, inp, h, step, per, rec, w):  # pragma: no cover
    """End of the step for resource r: refused demand joins the queue (`wait`) or is turned away
    (`lost`); then the places actually free are filled, first from the queue, then (`lost`) from the
    refused, and any admissions beyond the places are undone (the estimate overshot)."""
    cap, space = w.cap, w.space
    places_of(r, res, inp, step, cap)
    _refuse(r, net, res, inp, w)
    if r >= res.n_cap:
        for n in range(len(cap)):
            rec.referrals[per, r - res.n_cap, n] += w.wanted[n]
    for n in range(len(cap)):
        space[n] = cap[n]
    for i in range(res.occ_ptr[r], res.occ_ptr[r + 1]):
        for n in range(len(cap)):
            space[n] -= w.xn[res.occ_idx[i], n]
    if res.rule[r] != OVERFLOW and _any_below(space, 0.0):
        _undo_admissions(r, net, res, w)
        _undo_queue_admissions(r, res, w)
    _admit_from_queue(r, res, w)
    if res.rule[r] == LOST and _any_above(space, 0.0):
        _admit_refused(r, net, res, w)
    _record_resource(r, res, h, per, rec, w)


@njit(**PART)
def _refuse(r, net, res, inp, w):  # pragma: no cover
    """People refused along each admission edge: those who can wait are in their queue already
    (`kernel._join_queues`), the others are where they were; w.wanted becomes the demand for places
    (admitted plus refused)."""
    wanted, xn, n_members = w.wanted, w.xn, w.xn.shape[1]
    for n in range(n_members):
        wanted[n] = 0.0
    everyone_fits = not _any_below(w.psi[r], 1.0)
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        e, origin = res.adm_idx[i], net.src[res.adm_idx[i]]
        for n in range(n_members):
            if everyone_fits:
                w.refused[i, n] = 0.0
            elif res.adm_join[i] >= 0:
                w.refused[i, n] = w.joined[i, n]
            else:  # (never more than are left where they were: a guard for extreme rates)
                refused = w.rate_base[e, n] * (1.0 - w.psi[r, n]) * w.pacc[origin, n]
                w.refused[i, n] = min(refused, max(xn[origin, n], 0.0))
            wanted[n] += w.f[e, n] + w.refused[i, n]


@njit(**PART)
def _undo_admissions(r, net, res, w):  # pragma: no cover
    """Over the places (w.space < 0): undo this step's admissions in proportion, back to where the
    people came from (or their queue). Those who moved on within the step into another stock that
    still holds a place (a band up, out of a programme, into a queue) are taken from there."""
    space, total, xn, f = w.space, w.total, w.xn, w.f
    n_members = xn.shape[1]
    for n in range(n_members):
        total[n] = 0.0
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        for n in range(n_members):
            total[n] += f[res.adm_idx[i], n]
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        e = res.adm_idx[i]
        back = res.adm_join[i] if res.adm_join[i] >= 0 else net.src[e]
        for n in range(n_members):
            if space[n] < 0.0 and total[n] > 0.0:
                wanted = f[e, n] * min(-space[n] / total[n], 1.0)
                moved = min(wanted, max(xn[net.dst[e], n], 0.0))
                xn[net.dst[e], n] -= moved
                if moved < wanted:
                    moved += _take_from(
                        xn, res.adm_on_idx[res.adm_on_ptr[i] : res.adm_on_ptr[i + 1]], n, wanted - moved
                    )
                f[e, n] -= moved
                xn[back, n] += moved
                w.refused[i, n] += moved
    for n in range(n_members):
        if space[n] < 0.0:
            space[n] = min(space[n] + total[n], 0.0)


@njit(**PART)
def _undo_queue_admissions(r, res, w):  # pragma: no cover
    """Still over the places: people admitted from the queue this step go back to it (from where they
    moved on to, as in `_undo_admissions`: otherwise the service would keep them over its places)."""
    space, total, xn = w.space, w.total, w.xn
    n_members = xn.shape[1]
    for n in range(n_members):
        total[n] = 0.0
    for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
        for n in range(n_members):
            total[n] += w.step_admit[i, n]
    for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
        for n in range(n_members):
            if space[n] < 0.0 and total[n] > 0.0:
                wanted = w.step_admit[i, n] * min(-space[n] / total[n], 1.0)
                moved = min(wanted, max(xn[res.q_target[i], n], 0.0))
                xn[res.q_target[i], n] -= moved
                if moved < wanted:
                    moved += _take_from(xn, res.q_on_idx[res.q_on_ptr[i] : res.q_on_ptr[i + 1]], n, wanted - moved)
                w.step_admit[i, n] -= moved
                xn[res.q_idx[i], n] += moved
    for n in range(n_members):
        if space[n] < 0.0:
            space[n] = min(space[n] + total[n], 0.0)


@njit(**PART)
def _take_from(xn, stocks, n, wanted):  # pragma: no cover
    """Take up to `wanted` people of member n out of `stocks`, in order; returns how many were taken."""
    taken = 0.0
    for s in stocks:
        more = min(wanted - taken, max(xn[s, n], 0.0))
        xn[s, n] -= more
        taken += more
    return taken


@njit(**PART)
def _admit_from_queue(r, res, w):  # pragma: no cover
    """Fill free places from the queue, in proportion across origins and bands (fluid first come,
    first served)."""
    space, queued, total, xn = w.space, w.queued, w.total, w.xn
    n_members = xn.shape[1]
    for n in range(n_members):
        queued[n] = 0.0
    for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
        for n in range(n_members):
            queued[n] += xn[res.q_idx[i], n]
    for n in range(n_members):
        admit = min(queued[n], max(space[n], 0.0))
        total[n] = admit / queued[n] if queued[n] > 0.0 else 0.0
        space[n] -= admit
    if res.q_ptr[r + 1] > res.q_ptr[r] and not _all_zero(total):
        for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
            for n in range(n_members):
                moved = xn[res.q_idx[i], n] * total[n]
                xn[res.q_idx[i], n] -= moved
                xn[res.q_target[i], n] += moved
                w.step_admit[i, n] += moved


@njit(**PART)
def _admit_refused(r, net, res, w):  # pragma: no cover
    """`lost`: refused people who would have fitted after all are admitted, in proportion."""
    space, total, xn, f = w.space, w.total, w.xn, w.f
    n_members = xn.shape[1]
    for n in range(n_members):
        total[n] = 0.0
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        for n in range(n_members):
            total[n] += w.refused[i, n]
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        e = res.adm_idx[i]
        for n in range(n_members):
            if space[n] > 0.0 and total[n] > 0.0:
                moved = min(w.refused[i, n] * min(space[n] / total[n], 1.0), max(xn[net.src[e], n], 0.0))
                w.refused[i, n] -= moved
                f[e, n] += moved
                xn[net.src[e], n] -= moved
                xn[net.dst[e], n] += moved


@njit(**PART)
def _record_resource(r, res, h, per, rec, w):  # pragma: no cover
    """Refused, occupied, places, waiting and over capacity of resource r at the end of the step."""
    cap, occupied, queued, xn = w.cap, w.space, w.queued, w.xn
    n_members = xn.shape[1]
    for i in range(res.adm_ptr[r], res.adm_ptr[r + 1]):
        for n in range(n_members):
            rec.blocked[per, i, n] += w.refused[i, n]
    for n in range(n_members):
        occupied[n] = 0.0
        queued[n] = 0.0
    for i in range(res.occ_ptr[r], res.occ_ptr[r + 1]):
        for n in range(n_members):
            occupied[n] += xn[res.occ_idx[i], n]
    for i in range(res.q_ptr[r], res.q_ptr[r + 1]):
        for n in range(n_members):
            queued[n] += xn[res.q_idx[i], n]
    for n in range(n_members):
        over = max(occupied[n] - cap[n], 0.0)
        rec.occupied[per, r, n] = occupied[n]
        rec.places[per, r, n] = cap[n]
        rec.waiting[per, r, n] = queued[n]
        rec.over_capacity[per, r, n] = over
        rec.over_capacity_person_years[per, r, n] += over * h


@njit(**PART)
def _any_below(values, limit):  # pragma: no cover
    for v in values:  # noqa: SIM110  (a plain loop: numba compiles it without a generator)
        if v < limit:
            return True
    return False


@njit(**PART)
def _any_above(values, limit):  # pragma: no cover
    for v in values:  # noqa: SIM110
        if v > limit:
            return True
    return False


@njit(**PART)
def _all_zero(values):  # pragma: no cover
    for v in values:  # noqa: SIM110
        if v != 0.0:
            return False
    return True


@njit(**PART)
def places_of(r, res, inp, step, cap):  # pragma: no cover
    """Places of resource r during the step: fixed for a state, following funding for a programme."""
    for n in range(len(cap)):
        cap[n] = inp.capacity[step, r, n] if r < res.n_cap else inp.places[step, r - res.n_cap, n]
