-- 自然人 or 法人和其他组织 (seed 004 第三条; issue 13): on a rating when the
-- evaluator said, on a case when the business system knows its applicant.
ALTER TABLE ratings ADD COLUMN evaluator_type TEXT CHECK (evaluator_type IN ('person', 'organisation'));
ALTER TABLE cases ADD COLUMN applicant_type TEXT CHECK (applicant_type IN ('person', 'organisation'));
