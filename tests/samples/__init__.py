"""Sample inputs the tests generate (the bad-input corpus lives in bad/, written at test time)."""
