package config

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// readPEM accepts PEM text or the path of a PEM file, as ca_cert,
// client_cert and client_key do.
func readPEM(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return []byte(s), nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", s, errors.Unwrap(err))
	}
	return data, nil
}

// loadClientCert reads the client certificate and its key, decrypting the
// key with password, and checks that they make a pair, so that a wrong
// one stops the step before anything is sent.
func loadClientCert(certIn, keyIn, password string) (*tls.Certificate, error) {
	certIn, keyIn = strings.TrimSpace(certIn), strings.TrimSpace(keyIn)
	if certIn == "" && keyIn == "" {
		if password != "" {
			return nil, inputErr("client_key_password", "is given without client_key")
		}
		return nil, nil
	}
	// Each input given is read first, so that an error names it.
	var certPEM, keyDER []byte
	if certIn != "" {
		var err error
		if certPEM, err = readPEM(certIn); err != nil {
			return nil, &contract.InputError{Input: "client_cert", Err: err}
		}
		if !bytes.Contains(certPEM, []byte("-----BEGIN CERTIFICATE-----")) {
			return nil, inputErr("client_cert", "holds no PEM certificate")
		}
	}
	if keyIn != "" {
		keyPEM, err := readPEM(keyIn)
		if err != nil {
			return nil, &contract.InputError{Input: "client_key", Err: err}
		}
		if keyDER, err = privateKeyDER(keyPEM, password); err != nil {
			return nil, err
		}
	}
	switch {
	case certIn == "":
		return nil, inputErr("client_cert", "is required with client_key")
	case keyIn == "":
		return nil, inputErr("client_key", "is required with client_cert")
	}
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		// X509KeyPair's errors name neither input, and say nothing secret.
		if strings.Contains(err.Error(), "does not match") {
			return nil, inputErr("client_key", "does not match client_cert")
		}
		return nil, inputErr("client_cert", "is not a usable certificate: %v", err)
	}
	return &pair, nil
}

// privateKeyDER is the client key as unencrypted PKCS #8 DER. An encrypted
// key must be PKCS #8 with PBES2 (what OpenSSL 3 writes by default): the
// standard library reads only the legacy PEM encryption, through an API
// deprecated as insecure.
func privateKeyDER(data []byte, password string) ([]byte, error) {
	var block *pem.Block
	for rest := data; ; {
		if block, rest = pem.Decode(rest); block == nil || strings.HasSuffix(block.Type, "PRIVATE KEY") {
			break
		}
	}
	if block == nil {
		return nil, inputErr("client_key", "holds no PEM private key")
	}
	if _, ok := block.Headers["DEK-Info"]; ok {
		return nil, inputErr("client_key", "is encrypted the legacy OpenSSL way (Proc-Type: 4,ENCRYPTED), which is unsafe: convert it with openssl pkcs8 -topk8 -v2 aes-256-cbc")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		if password == "" {
			return nil, inputErr("client_key_password", "is required: client_key is encrypted")
		}
		der, err := decryptPKCS8(block.Bytes, password)
		if err != nil {
			return nil, err
		}
		return der, nil
	}
	if password != "" {
		return nil, inputErr("client_key_password", "is given, but client_key is not encrypted")
	}
	key, err := parsePrivateKey(block)
	if err != nil {
		return nil, &contract.InputError{Input: "client_key", Err: err}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, &contract.InputError{Input: "client_key", Err: err}
	}
	return der, nil
}

// parsePrivateKey reads an unencrypted key in any of the PEM forms
// OpenSSL writes.
func parsePrivateKey(block *pem.Block) (any, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	return nil, fmt.Errorf("holds a %s, not a private key jenkins-trigger reads", block.Type)
}

// The ASN.1 of an encrypted PKCS #8 key with PBES2 (RFC 8018).
type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Cipher pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	// PBKDF2's pseudo-random functions; HMAC-SHA1 when none is named.
	prfs = map[string]func() hash.Hash{
		"1.2.840.113549.2.7":  sha1.New,
		"1.2.840.113549.2.8":  sha256.New224,
		"1.2.840.113549.2.9":  sha256.New,
		"1.2.840.113549.2.10": sha512.New384,
		"1.2.840.113549.2.11": sha512.New,
	}
	// AES-CBC by key size.
	aesCBC = map[string]int{
		"2.16.840.1.101.3.4.1.2":  16,
		"2.16.840.1.101.3.4.1.22": 24,
		"2.16.840.1.101.3.4.1.42": 32,
	}
)

// maxIterations bounds PBKDF2's work, which the key file chooses: OpenSSL
// writes 2048, password managers up to a few hundred thousand.
const maxIterations = 10_000_000

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo with PBES2, PBKDF2 and
// AES-CBC, and checks that the result is a key, which is how a wrong
// password shows.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	unsupported := func(what string) error {
		return inputErr("client_key", "is encrypted with %s, which jenkins-trigger does not read: re-encrypt it with openssl pkcs8 -topk8 -v2 aes-256-cbc", what)
	}
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, inputErr("client_key", "is not a valid encrypted PKCS #8 key")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, unsupported("scheme " + info.Algorithm.Algorithm.String())
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, inputErr("client_key", "is not a valid encrypted PKCS #8 key")
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupported("key derivation " + params.KDF.Algorithm.String())
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil || kdf.Iterations < 1 || kdf.Iterations > maxIterations {
		return nil, inputErr("client_key", "is not a valid encrypted PKCS #8 key")
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = prfs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, unsupported("PRF " + kdf.PRF.Algorithm.String())
		}
	}
	keyLen, ok := aesCBC[params.Cipher.Algorithm.String()]
	if !ok {
		return nil, unsupported("cipher " + params.Cipher.Algorithm.String())
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Cipher.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, inputErr("client_key", "is not a valid encrypted PKCS #8 key")
	}
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, inputErr("client_key", "is not a valid encrypted PKCS #8 key")
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, &contract.InputError{Input: "client_key_password", Err: err}
	}
	block, _ := aes.NewCipher(key) // the key has one of AES' sizes
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	wrong := inputErr("client_key_password", "does not decrypt client_key")
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, wrong
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, wrong
	}
	return plain, nil
}
