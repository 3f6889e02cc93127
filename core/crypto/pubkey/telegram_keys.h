// Telegram's production RSA public key, as published on
// core.telegram.org/mtproto/auth_key: clients that talk to Telegram's real
// DCs trust it for the auth key exchange.
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_TELEGRAM_KEYS_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_TELEGRAM_KEYS_H_

namespace mtcore::crypto {

// Fingerprint 0xd09d1d85de64fd85.
inline constexpr char kTelegramProductionKeyPem[] = R"(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g
5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO
62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/
+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9
t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs
5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB
-----END RSA PUBLIC KEY-----
)";

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_TELEGRAM_KEYS_H_
