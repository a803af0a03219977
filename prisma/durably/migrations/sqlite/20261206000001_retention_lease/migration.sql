-- Background maintenance that one executor at a time does (retention): who holds it, until when.
CREATE TABLE "durably_maintenance_leases" (
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL,
    PRIMARY KEY ("name")
);
