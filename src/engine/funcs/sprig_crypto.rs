//! Sprig's cryptographic functions: bcrypt, htpasswd, derivePassword, private keys,
//! certificates (genCA, genSelfSignedCert, genSignedCert, buildCustomCert and the
//! `WithKey` variants), AES-CBC encryption and random bytes.
//!
//! Helm counterpart: Masterminds/sprig v3 `crypto.go`. Keys and certificates are
//! random, so only their shape is comparable with Helm's (RSA-2048 keys as PKCS#1
//! `RSA PRIVATE KEY`, certificates with the same subject, SANs, usages and validity).
//! Differences: `genPrivateKey "dsa"` is not supported, and `ecdsa` keys are written as
//! PKCS#8 `PRIVATE KEY` rather than SEC1 `EC PRIVATE KEY`.
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;

use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use base64::Engine;
use hmac::Mac;
use rand::RngExt;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};

use super::super::value::{Func, FuncError, Object, Value};
use super::{FuncResult, args, go_type, int_arg, str_arg, string_value};

/// Registers the crypto functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("bcrypt", bcrypt_fn),
        ("htpasswd", htpasswd),
        ("derivePassword", derive_password),
        ("genPrivateKey", gen_private_key),
        ("genCA", gen_ca),
        ("genCAWithKey", gen_ca_with_key),
        ("genSelfSignedCert", gen_self_signed_cert),
        ("genSelfSignedCertWithKey", gen_self_signed_cert_with_key),
        ("genSignedCert", gen_signed_cert),
        ("genSignedCertWithKey", gen_signed_cert_with_key),
        ("buildCustomCert", build_custom_cert),
        ("encryptAES", encrypt_aes),
        ("decryptAES", decrypt_aes),
        ("randBytes", rand_bytes),
    ];
    m.extend(fs.iter().copied());
}

const STD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn bcrypt_hash(input: &str) -> String {
    match bcrypt::hash_with_result(input, 10) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn bcrypt_fn(a: &[Value]) -> FuncResult {
    let [s] = args::<1>("bcrypt", a)?;
    Ok(string_value(bcrypt_hash(str_arg(s)?)))
}

fn htpasswd(a: &[Value]) -> FuncResult {
    let [u, p] = args::<2>("htpasswd", a)?;
    let (u, p) = (str_arg(u)?, str_arg(p)?);
    if u.contains(':') {
        return Ok(string_value(format!("invalid username: {u}")));
    }
    Ok(string_value(format!("{u}:{}", bcrypt_hash(p))))
}

const MASTER_PASSWORD_SEED: &str = "com.lyndir.masterpassword";

fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: char) -> &'static str {
    match c {
        'V' => "AEIOU",
        'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        'v' => "aeiou",
        'c' => "bcdfghjklmnpqrstvwxyz",
        'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        'n' => "0123456789",
        'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// The Master Password algorithm as Sprig implements it.
pub fn derive_password_string(
    counter: u32,
    kind: &str,
    password: &str,
    user: &str,
    site: &str,
) -> String {
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let derived = scrypt::Params::new(15, 8, 2)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            scrypt::scrypt(password.as_bytes(), &salt, &p, &mut key).map_err(|e| e.to_string())
        });
    if let Err(e) = derived {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key) else {
        return "failed to derive password: bad key".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let template = templates[seed[0] as usize % templates.len()];
    template
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(c).as_bytes();
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect()
}

fn derive_password(a: &[Value]) -> FuncResult {
    let [counter, kind, password, user, site] = args::<5>("derivePassword", a)?;
    let counter = int_arg(counter)?;
    Ok(string_value(derive_password_string(
        counter as u32,
        str_arg(kind)?,
        str_arg(password)?,
        str_arg(user)?,
        str_arg(site)?,
    )))
}

/// A private key as Sprig holds it: the signing key pair and its Go-style PEM.
struct PrivateKey {
    pair: rcgen::KeyPair,
    pem: String,
}

fn crypto_err(e: impl std::fmt::Display) -> FuncError {
    FuncError(e.to_string())
}

fn rsa_key(bits: rcgen::RsaKeySize) -> Result<PrivateKey, FuncError> {
    let pair = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, bits)
        .map_err(|e| FuncError(format!("error generating rsa key: {e}")))?;
    let rsa = rsa::PrivateKey::from_pkcs8_der(pair.serialized_der()).map_err(crypto_err)?;
    let pem = rsa
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(crypto_err)?
        .to_string();
    Ok(PrivateKey { pair, pem })
}

/// Sprig's `parsePrivateKeyPEM`: PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`.
fn parse_private_key(pem_text: &str) -> Result<PrivateKey, FuncError> {
    let trimmed = pem_text.trim_start();
    if !trimmed.starts_with("-----BEGIN ") {
        return Err(FuncError("no PEM data in input".into()));
    }
    if trimmed.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        let rsa = rsa::PrivateKey::from_pkcs1_pem(trimmed)
            .map_err(|e| FuncError(format!("parsing RSA private key from PEM: {e}")))?;
        let pkcs8 = rsa
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(crypto_err)?;
        let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
            .map_err(crypto_err)?;
        return Ok(PrivateKey {
            pair,
            pem: pem_text.to_string(),
        });
    }
    if trimmed.starts_with("-----BEGIN PRIVATE KEY-----") {
        let pair = rcgen::KeyPair::from_pem(trimmed)
            .map_err(|e| FuncError(format!("decoding PEM as PKCS#8: {e}")))?;
        return Ok(PrivateKey {
            pair,
            pem: pem_text.to_string(),
        });
    }
    let kind = trimmed
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches("-----")
        .to_string();
    if kind.ends_with(" PRIVATE KEY") {
        Err(FuncError(format!("invalid private key type {kind}")))
    } else {
        Err(FuncError(format!(
            "no private key data in PEM block of type {kind}"
        )))
    }
}

fn gen_private_key(a: &[Value]) -> FuncResult {
    let [t] = args::<1>("genPrivateKey", a)?;
    let t = str_arg(t)?;
    let key = match t {
        "" | "rsa" => rsa_key(rcgen::RsaKeySize::_4096)?.pem,
        "ecdsa" => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| FuncError(format!("failed to generate private key: {e}")))?
            .serialize_pem(),
        "ed25519" => rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
            .map_err(|e| FuncError(format!("failed to generate private key: {e}")))?
            .serialize_pem(),
        "dsa" => {
            return Err(FuncError(
                "genPrivateKey: dsa keys are not supported by rhelm".into(),
            ));
        }
        other => format!("Unknown type {other}"),
    };
    Ok(string_value(key))
}

/// Sprig's `certificate` struct: PEM certificate and key.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// PEM `CERTIFICATE`.
    pub cert: String,
    /// PEM private key.
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(string_value(self.cert.as_str())),
            "Key" => Some(string_value(self.key.as_str())),
            _ => None,
        }
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, FuncError>> {
        None
    }

    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
}

fn cert_arg(v: &Value) -> Result<Certificate, FuncError> {
    match v {
        Value::Object(o) if o.type_name() == "sprig.certificate" => {
            let field = |n: &str| match o.field(n) {
                Some(Value::String(s)) => s.to_string(),
                _ => String::new(),
            };
            Ok(Certificate {
                cert: field("Cert"),
                key: field("Key"),
            })
        }
        other => Err(super::wrong_type("sprig.certificate", other)),
    }
}

fn list_arg<'a>(v: &'a Value, what: &str) -> Result<Vec<&'a Value>, FuncError> {
    match v {
        Value::List(items) => Ok(items.iter().collect()),
        Value::Nil => Ok(Vec::new()),
        other => Err(FuncError(format!(
            "wrong type for value; expected []interface {{}}; got {} ({what})",
            go_type(other)
        ))),
    }
}

fn base_params(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<rcgen::CertificateParams, FuncError> {
    let mut sans = Vec::new();
    for ip in list_arg(ips, "ips")? {
        let Value::String(s) = ip else {
            return Err(FuncError(format!(
                "error parsing ip: {} is not a string",
                super::super::gofmt::format_value(ip)
            )));
        };
        let addr: IpAddr = s
            .parse()
            .map_err(|_| FuncError(format!("error parsing ip: {s}")))?;
        sans.push(rcgen::SanType::IpAddress(addr));
    }
    for name in list_arg(dns, "alternateDNS")? {
        let Value::String(s) = name else {
            return Err(FuncError(format!(
                "error processing alternate dns name: {} is not a string",
                super::super::gofmt::format_value(name)
            )));
        };
        let ia5 = rcgen::string::Ia5String::try_from(s.to_string()).map_err(crypto_err)?;
        sans.push(rcgen::SanType::DnsName(ia5));
    }
    let mut params = rcgen::CertificateParams::default();
    params.subject_alt_names = sans;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let serial: [u8; 16] = rand::rng().random();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let until = (now as i64)
        .saturating_add(days.saturating_mul(86_400))
        .max(0) as u64;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + std::time::Duration::from_secs(now);
    params.not_after = epoch + std::time::Duration::from_secs(until);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    Ok(params)
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

fn make_ca(cn: &str, days: i64, key: PrivateKey) -> FuncResult {
    let mut params = base_params(cn, &Value::Nil, &Value::Nil, days)?;
    params.key_usages.push(rcgen::KeyUsagePurpose::KeyCertSign);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params
        .self_signed(&key.pair)
        .map_err(|e| FuncError(format!("error creating certificate: {e}")))?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn gen_ca(a: &[Value]) -> FuncResult {
    let [cn, days] = args::<2>("genCA", a)?;
    make_ca(
        str_arg(cn)?,
        int_arg(days)?,
        rsa_key(rcgen::RsaKeySize::_2048)?,
    )
}

fn gen_ca_with_key(a: &[Value]) -> FuncResult {
    let [cn, days, key] = args::<3>("genCAWithKey", a)?;
    let key = parse_private_key(str_arg(key)?)
        .map_err(|e| FuncError(format!("parsing private key: {e}")))?;
    make_ca(str_arg(cn)?, int_arg(days)?, key)
}

fn make_self_signed(cn: &str, ips: &Value, dns: &Value, days: i64, key: PrivateKey) -> FuncResult {
    let params = base_params(cn, ips, dns, days)?;
    let cert = params
        .self_signed(&key.pair)
        .map_err(|e| FuncError(format!("error creating certificate: {e}")))?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn gen_self_signed_cert(a: &[Value]) -> FuncResult {
    let [cn, ips, dns, days] = args::<4>("genSelfSignedCert", a)?;
    make_self_signed(
        str_arg(cn)?,
        ips,
        dns,
        int_arg(days)?,
        rsa_key(rcgen::RsaKeySize::_2048)?,
    )
}

fn gen_self_signed_cert_with_key(a: &[Value]) -> FuncResult {
    let [cn, ips, dns, days, key] = args::<5>("genSelfSignedCertWithKey", a)?;
    let key = parse_private_key(str_arg(key)?)
        .map_err(|e| FuncError(format!("parsing private key: {e}")))?;
    make_self_signed(str_arg(cn)?, ips, dns, int_arg(days)?, key)
}

fn make_signed(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    ca: &Certificate,
    key: PrivateKey,
) -> FuncResult {
    let signer_key = parse_private_key(&ca.key)
        .map_err(|e| FuncError(format!("error parsing private key: {e}")))?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.cert, &signer_key.pair).map_err(|e| {
        FuncError(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let params = base_params(cn, ips, dns, days)?;
    let cert = params
        .signed_by(&key.pair, &issuer)
        .map_err(|e| FuncError(format!("error creating certificate: {e}")))?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn gen_signed_cert(a: &[Value]) -> FuncResult {
    let [cn, ips, dns, days, ca] = args::<5>("genSignedCert", a)?;
    let ca = cert_arg(ca)?;
    make_signed(
        str_arg(cn)?,
        ips,
        dns,
        int_arg(days)?,
        &ca,
        rsa_key(rcgen::RsaKeySize::_2048)?,
    )
}

fn gen_signed_cert_with_key(a: &[Value]) -> FuncResult {
    let [cn, ips, dns, days, ca, key] = args::<6>("genSignedCertWithKey", a)?;
    let ca = cert_arg(ca)?;
    let key = parse_private_key(str_arg(key)?)
        .map_err(|e| FuncError(format!("parsing private key: {e}")))?;
    make_signed(str_arg(cn)?, ips, dns, int_arg(days)?, &ca, key)
}

fn build_custom_cert(a: &[Value]) -> FuncResult {
    let [c, k] = args::<2>("buildCustomCert", a)?;
    let cert = STD
        .decode(str_arg(c)?)
        .map_err(|_| FuncError("unable to decode base64 certificate".into()))?;
    let key = STD
        .decode(str_arg(k)?)
        .map_err(|_| FuncError("unable to decode base64 private key".into()))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    if !cert.trim_start().starts_with("-----BEGIN ") {
        return Err(FuncError("unable to decode certificate".into()));
    }
    parse_private_key(&key).map_err(|e| FuncError(format!("error parsing private key: {e}")))?;
    Ok(cert_value(cert, key))
}

fn aes_key(password: &str) -> aes::Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    aes::Aes256::new(&key.into())
}

fn encrypt_aes(a: &[Value]) -> FuncResult {
    let [p, t] = args::<2>("encryptAES", a)?;
    let (password, plain) = (str_arg(p)?, str_arg(t)?);
    if plain.is_empty() {
        return Ok(string_value(""));
    }
    let cipher = aes_key(password);
    let mut content = plain.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let iv: [u8; 16] = rand::rng().random();
    let mut out = iv.to_vec();
    let mut prev = iv;
    for chunk in content.chunks(16) {
        let mut block = [0u8; 16];
        for i in 0..16 {
            block[i] = chunk[i] ^ prev[i];
        }
        let mut b = block.into();
        cipher.encrypt_block(&mut b);
        let enc: [u8; 16] = b.into();
        out.extend_from_slice(&enc);
        prev = enc;
    }
    Ok(string_value(STD.encode(out)))
}

fn decrypt_aes(a: &[Value]) -> FuncResult {
    let [p, t] = args::<2>("decryptAES", a)?;
    let (password, text) = (str_arg(p)?, str_arg(t)?);
    if text.is_empty() {
        return Ok(string_value(""));
    }
    let data = STD
        .decode(text)
        .map_err(|_| FuncError("illegal base64 data".into()))?;
    if data.len() < 16 || data.len() % 16 != 0 {
        return Err(FuncError("crypto/cipher: input not full blocks".into()));
    }
    let cipher = aes_key(password);
    let mut prev: [u8; 16] = data[..16].try_into().map_err(crypto_err)?;
    let mut out = Vec::new();
    for chunk in data[16..].chunks(16) {
        let cur: [u8; 16] = chunk.try_into().map_err(crypto_err)?;
        let mut b = cur.into();
        cipher.decrypt_block(&mut b);
        let dec: [u8; 16] = b.into();
        out.extend(dec.iter().zip(prev.iter()).map(|(x, y)| x ^ y));
        prev = cur;
    }
    let pad = out.last().copied().unwrap_or(0) as usize;
    if pad > out.len() {
        return Err(FuncError(format!(
            "runtime error: slice bounds out of range [:{}]",
            out.len() as i64 - pad as i64
        )));
    }
    out.truncate(out.len() - pad);
    Ok(string_value(String::from_utf8_lossy(&out).into_owned()))
}

fn rand_bytes(a: &[Value]) -> FuncResult {
    let [n] = args::<1>("randBytes", a)?;
    let n = int_arg(n)?;
    if n < 0 {
        return Err(FuncError(
            "runtime error: makeslice: len out of range".into(),
        ));
    }
    let mut buf = vec![0u8; n as usize];
    rand::rng().fill(&mut buf[..]);
    Ok(string_value(STD.encode(buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn text(v: FuncResult) -> String {
        match v {
            Ok(Value::String(s)) => s.to_string(),
            Ok(other) => super::super::super::gofmt::format_value(&other),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn aes_round_trips_with_a_random_iv() {
        let enc = text(encrypt_aes(&[s("secret"), s("hello world")]));
        assert_ne!(enc, text(encrypt_aes(&[s("secret"), s("hello world")])));
        assert_eq!(text(decrypt_aes(&[s("secret"), s(&enc)])), "hello world");
        assert_eq!(text(encrypt_aes(&[s("k"), s("")])), "");
    }

    #[test]
    fn bcrypt_and_htpasswd_use_go_2a_prefix() {
        let h = text(htpasswd(&[s("admin"), s("pw")]));
        assert!(h.starts_with("admin:$2a$10$"), "{h}");
        let hash = h.trim_start_matches("admin:");
        assert!(bcrypt::verify("pw", hash).unwrap());
        assert_eq!(
            text(htpasswd(&[s("a:b"), s("pw")])),
            "invalid username: a:b"
        );
    }

    #[test]
    fn derive_password_is_deterministic_and_shaped_by_template() {
        let p = derive_password_string(1, "long", "password", "user", "example.com");
        assert_eq!(
            p,
            derive_password_string(1, "long", "password", "user", "example.com")
        );
        assert_eq!(p.len(), 14);
        assert!(p.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
        assert_eq!(
            derive_password_string(1, "nope", "p", "u", "s"),
            "cannot find password template nope"
        );
    }

    #[test]
    fn certificates_chain_from_a_generated_ca() {
        let ca = gen_ca(&[s("my-ca"), Value::Int(365)]).unwrap();
        let Value::Object(o) = &ca else {
            panic!("genCA returned no object")
        };
        assert_eq!(o.type_name(), "sprig.certificate");
        let key = text(Ok(o.field("Key").unwrap()));
        assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let cert = gen_signed_cert(&[
            s("svc"),
            Value::list(vec![s("10.0.0.1")]),
            Value::list(vec![s("svc.ns.svc")]),
            Value::Int(30),
            ca.clone(),
        ])
        .unwrap();
        let Value::Object(c) = cert else {
            panic!("genSignedCert returned no object")
        };
        assert!(text(Ok(c.field("Cert").unwrap())).starts_with("-----BEGIN CERTIFICATE-----\n"));
        let bad = gen_self_signed_cert(&[
            s("x"),
            Value::list(vec![s("nope")]),
            Value::Nil,
            Value::Int(1),
        ]);
        assert_eq!(text(bad), "ERR error parsing ip: nope");
        let b64 = |t: &str| s(&STD.encode(t));
        let built = build_custom_cert(&[b64(&text(Ok(c.field("Cert").unwrap()))), b64(&key)]);
        assert!(built.is_ok());
    }

    #[test]
    fn rand_bytes_encodes_the_requested_count() {
        let r = text(rand_bytes(&[Value::Int(12)]));
        assert_eq!(STD.decode(r).unwrap().len(), 12);
    }
}
