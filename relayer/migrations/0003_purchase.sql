-- A card payment that names a licence (metadata.dataset and metadata.offer,
-- set by the API's card purchase) asks for a second job after its mint:
-- `purchaseWithCredits` for the buyer with that payment's credits. The mint
-- job carries the licence; the purchase job is inserted in the same
-- transaction that marks the mint done (unique (kind, payment_id): once).

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
    CHECK (kind IN ('mint_credits', 'reverse_credits', 'purchase_licence'));

ALTER TABLE jobs ADD COLUMN dataset_id NUMERIC(78, 0) CHECK (dataset_id > 0);
ALTER TABLE jobs ADD COLUMN offer_index BIGINT CHECK (offer_index >= 0 AND offer_index <= 4294967295);
ALTER TABLE jobs ADD CONSTRAINT jobs_licence_check
    CHECK ((dataset_id IS NULL) = (offer_index IS NULL));
-- A purchase names its licence and its recipient (the buyer, in `account`).
ALTER TABLE jobs ADD CONSTRAINT jobs_purchase_check
    CHECK (kind <> 'purchase_licence' OR (dataset_id IS NOT NULL AND account IS NOT NULL));
