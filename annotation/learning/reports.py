"""Agreement figures per batch, and their trend over batches, from the store: what the
agreement dashboard and `centinela annotate agreement` show.

Per batch: Krippendorff's alpha per indicator and for risk, span F1 between trainers
(`agreement.py`), each trainer against the batch's final labels (adjudicated, or the
consensus where all agreed; `adjudication.py`), and how many disagreements are open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.learning.adjudication import final_labels, find_disagreements
from annotation.learning.agreement import (
    AgreementReport,
    TrainerConfusion,
    confusion_against,
    measure_agreement,
)
from annotation.learning.batches import BatchSummary, batch_labels, load_batch
from annotation.store.trainer_tables import BatchRow


@dataclass(frozen=True)
class BatchAgreement:
    batch: BatchSummary
    agreement: AgreementReport
    confusion: list[TrainerConfusion]
    disagreements: int
    open_disagreements: int

    @property
    def mean_alpha(self) -> float | None:
        """Mean alpha over the indicators where it is defined."""
        values = [row.alpha for row in self.agreement.indicators if row.alpha is not None]
        return sum(values) / len(values) if values else None


def batch_agreement(session: Session, batch_id: int, indicators: Sequence[str]
                    ) -> BatchAgreement:
    batch = load_batch(session, batch_id)
    if batch is None:
        raise ValueError(f"no batch {batch_id}")
    labels = batch_labels(session, batch_id)
    final = final_labels(session, batch_id)
    found = find_disagreements(session, batch_id)
    return BatchAgreement(
        batch=batch, agreement=measure_agreement(labels, indicators),
        confusion=confusion_against(labels, final, indicators), disagreements=len(found),
        open_disagreements=sum(1 for d in found if d.adjudication is None))


def agreement_trend(session: Session, indicators: Sequence[str]) -> list[BatchAgreement]:
    """Every batch's agreement, oldest batch first."""
    ids = session.scalars(select(BatchRow.id).order_by(BatchRow.created_at, BatchRow.id))
    return [batch_agreement(session, batch_id, indicators) for batch_id in ids]
