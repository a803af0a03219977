-- Background maintenance that one executor at a time does (retention): who holds it, until when.
CREATE TABLE "maintenance_leases" (
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL,

    CONSTRAINT "maintenance_leases_pkey" PRIMARY KEY ("name")
);
