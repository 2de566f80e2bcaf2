/**
 * The Secrets Manager commands AwsSdkSecretsReader sends, as a module of its own so that it can be
 * imported lazily and still tree-shaken (a dynamic import of the package would bundle every command).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
