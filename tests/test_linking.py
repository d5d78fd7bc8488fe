"""Linking ads across scans: exact and near re-posts, clusters by shared contact, merges,
the hub guard, the review-score boost, and contacts kept only as pseudonyms (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from annotation.linking import (
    LinkCounts,
    cluster_boost,
    link_ads,
    prepare_ads,
    review_score,
)
from annotation.store import save_ads
from annotation.store.clusters import cluster_sizes, list_clusters, load_cluster
from annotation.store.entities import load_entities
from annotation.store.links import find_reposts
from annotation.store.tables import AdEntityRow, AdLinkRow, ClusterRow, LshBandRow
from corpora.records import Ad

KEY = b"test-key-0123456789abcdef"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
OFFER = ("Agencia internacional busca señoritas de 18 a 25 años para trabajar como "
         "anfitrionas en restaurantes de Europa. Ofrecemos pasaje pagado, alojamiento y "
         "comida, ganancias de USD 3.000 al mes. No se necesita experiencia ni papeles, "
         "nosotros tramitamos todo. Salida inmediata, cupos limitados. {contact}")


def ad(ad_id: str, text: str, country: str = "MX", source: str = "feed") -> Ad:
    return Ad(id=ad_id, text=text, lang="es", country=country, source=source)


def link(store, ads: list[Ad], now: datetime = T0, **options: object) -> LinkCounts:
    with store.begin() as session:
        save_ads(session, ads)
        return link_ads(session, prepare_ads(ads, KEY), now=now, **options)


def links_of(store) -> dict[str, tuple[str | None, int | None]]:
    with store.begin() as session:
        return {row.ad_id: (row.duplicate_of, row.cluster_id)
                for row in session.scalars(select(AdLinkRow))}


def test_reposts_and_shared_contacts_link_across_scans(store) -> None:
    first = ad("a", OFFER.format(contact="WhatsApp 55 5550 0123"))
    other = ad("e", "Panadería busca ayudante con experiencia, sueldo fijo y prestaciones. "
                    "Informes en la tienda.", source="pages")
    counts = link(store, [first, other])
    assert (counts.ads, counts.exact_duplicates, counts.near_duplicates) == (2, 0, 0)

    # Jaccard 0.75 on word 3-shingles: one place and the phone changed.
    near = ad("b", OFFER.replace("Europa", "España").format(contact="WhatsApp +52 55 5550 0124"),
              country="CO", source="pages")
    exact = ad("c", OFFER.format(contact="WHATSAPP   55 5550 0123!").upper(), source="other")
    same_phone = ad("d", "Se buscan modelos para fotos, pago diario. Llama al "
                         "cinco cinco cinco cinco cinco cero cero uno dos tres.")
    counts = link(store, [near, exact, same_phone], now=T0 + timedelta(days=2))
    assert (counts.exact_duplicates, counts.near_duplicates) == (1, 1)
    assert dict(counts.reposts) == {"b": "a", "c": "a"}

    state = links_of(store)
    assert state["b"][0] == "a" and state["c"][0] == "a" and state["d"][0] is None
    cluster = state["a"][1]
    assert cluster is not None and {state[i][1] for i in "abcd"} == {cluster}
    assert state["e"] == (None, None)
    with store.begin() as session:
        [summary] = list_clusters(session)
        assert (summary.id, summary.size, summary.countries, summary.sources) == (
            cluster, 4, ("CO", "MX"), ("feed", "other", "pages"))
        assert summary.first_seen == T0 and summary.last_seen == T0 + timedelta(days=2)
        assert summary.contacts == 2  # the two phones, counted by pseudonym
        shown, ad_ids = load_cluster(session, cluster)
        assert shown == summary and ad_ids == ["a", "b", "c", "d"]
        assert cluster_sizes(session, ["a", "e", "missing"]) == {"a": 4, "e": 1, "missing": 1}
        assert find_reposts(session, ["a", "b", "c", "d"]) == {"b": "a", "c": "a"}


def test_an_ad_joining_two_clusters_merges_them_into_the_older(store) -> None:
    link(store, [ad("f", "Cocinero, llama al 55 5550 0131. Sueldo fijo."),
                 ad("g", "Mesero con experiencia. Informes 55 5550 0131.")])
    link(store, [ad("h", "Chofer con licencia: 55 5550 0132."),
                 ad("i", "Ayudante general, tel 55 5550 0132, turno de noche.")])
    state = links_of(store)
    older, newer = state["f"][1], state["h"][1]
    assert older is not None and newer is not None and older < newer
    link(store, [ad("j", "Dos vacantes: 55 5550 0131 o 55 5550 0132.")])
    state = links_of(store)
    assert {state[i][1] for i in "fghij"} == {older}
    with store.begin() as session:
        assert [c.size for c in list_clusters(session)] == [5]
        assert session.get(ClusterRow, newer).merged_into == older
        summary, ad_ids = load_cluster(session, newer)  # an old id leads to the merged one
        assert summary.id == older and sorted(ad_ids) == list("fghij")


def test_linking_twice_links_nothing_twice(store) -> None:
    ads = [ad("k", OFFER.format(contact="55 5550 0140")),
           ad("l", OFFER.format(contact="55 5550 0140"))]
    assert link(store, ads).ads == 2
    with store.begin() as session:
        counts = link_ads(session, prepare_ads(ads, KEY))
        rows = {table: len(session.scalars(select(table)).all())
                for table in (AdEntityRow, AdLinkRow, LshBandRow, ClusterRow)}
    assert counts == LinkCounts()
    assert rows[AdLinkRow] == 2 and rows[ClusterRow] == 1
    assert rows[LshBandRow] == 21  # the exact copy adds no band keys


def test_a_contact_on_too_many_ads_stops_linking(store) -> None:
    footer = " Postúlate en rh@empleos.example.org"
    link(store, [ad("m", "Cajero para tienda." + footer), ad("n", "Bodeguero turno noche." + footer)],
         max_contact_ads=2)
    link(store, [ad("o", "Repartidor con moto propia." + footer)], max_contact_ads=2)
    state = links_of(store)
    assert state["m"][1] == state["n"][1] is not None and state["o"][1] is None


def test_contacts_are_stored_as_pseudonyms_only(store) -> None:
    phone_ad = ad("p", "Modelos webcam, pago diario. WhatsApp 55 5550 0150 o "
                       "modelos@agencia.example, IG @agencia_x. Ganancias de USD 500 a la semana.")
    link(store, [phone_ad])
    with store.begin() as session:
        entities = load_entities(session, "p")
        values = [tuple(row) for row in session.execute(select(AdEntityRow.__table__))]
    assert [e.kind for e in entities] == ["phone", "email", "handle", "money"]
    assert all(e.pseudonym and len(e.pseudonym) == 64 for e in entities[:3])
    assert entities[3].normalised == "500 USD/week" and entities[3].pseudonym is None
    flat = " ".join(str(value) for row in values for value in row)
    for secret in ("5550 0150", "5555500150", "modelos@agencia", "agencia_x"):
        assert secret not in flat


@pytest.mark.parametrize(("size", "boost"), [(0, 0.0), (1, 0.0), (2, 0.1), (4, 0.2), (8, 0.3),
                                             (16, 0.4), (32, 0.5), (1000, 0.5)])
def test_cluster_boost_per_doubling_with_a_ceiling(size: int, boost: float) -> None:
    assert cluster_boost(size) == pytest.approx(boost)


def test_review_score_rises_with_the_cluster_and_keeps_order_and_bounds() -> None:
    assert review_score(0.4, 1) == 0.4
    assert review_score(0.4, 2) == pytest.approx(0.46)
    assert review_score(0.4, 8) == pytest.approx(0.58)
    assert review_score(0.0, 32) == pytest.approx(0.5) and review_score(1.0, 32) == 1.0
    scores = [0.05, 0.3, 0.6, 0.95]
    for size in (1, 2, 5, 40):
        boosted = [review_score(s, size) for s in scores]
        assert boosted == sorted(boosted) and all(s <= b <= 1 for s, b in zip(scores, boosted))
    for score in scores:
        by_size = [review_score(score, size) for size in (1, 2, 3, 8, 64)]
        assert by_size == sorted(by_size)
    # A weak ad in a big cluster does not jump over a strong lone ad.
    assert review_score(0.2, 64) < review_score(0.9, 1)
