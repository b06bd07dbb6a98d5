// Secrets the function reads through Key Vault references (never plain app settings): the Spotify
// client secret and refresh token, and the pseudonymisation key. A secret is written only when its
// parameter is set (`azd env set ...`): no empty placeholder secrets. An unset secret leaves its app
// setting empty, which settings.py treats as "not configured".
param name string
param location string
param tags object = {}

// A string, not a bool: azd substitutes environment values into main.parameters.json as text.
@allowed([
  'false'
  'true'
])
@description('Purge protection (irreversible once on): a deleted vault cannot be purged before softDeleteRetentionInDays. Off by default so `azd down --purge` frees the name.')
param purgeProtection string = 'false'

@secure()
param spotifyClientSecret string = ''

@secure()
param spotifyRefreshToken string = ''

@secure()
param userIdKey string = ''

var spotifyClientSecretName = 'spotify-client-secret'
var spotifyRefreshTokenName = 'spotify-refresh-token'
var userIdKeyName = 'user-id-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_110: Purge protection is the purgeProtection parameter, off by default for a personal deployment so that azd down --purge can delete the vault and a redeploy can reuse its name; soft delete stays on.
  // checkov:skip=CKV_AZURE_42: Same reason as CKV_AZURE_110: the vault is recoverable for 7 days (soft delete), and purge-protected only when purgeProtection is 'true'.
  // checkov:skip=CKV_AZURE_109: Key Vault references from a Flex Consumption app without VNet integration do not work against a network-restricted vault; access is RBAC-only.
  // checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109: the vault keeps its public endpoint, guarded by Entra RBAC.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Key Vault accepts only true or null here: false is refused, and true cannot be undone.
    enablePurgeProtection: (purgeProtection == 'true') ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// A module per secret keeps the secret resource itself unconditional, so checkov scans it
// (it does not look inside `if (...)` resources).
module spotifyClientSecretSecret 'keyvault-secret.bicep' = if (!empty(spotifyClientSecret)) {
  name: 'secret-spotify-client-secret'
  params: {
    vaultName: vault.name
    name: spotifyClientSecretName
    value: spotifyClientSecret
  }
}

module spotifyRefreshTokenSecret 'keyvault-secret.bicep' = if (!empty(spotifyRefreshToken)) {
  name: 'secret-spotify-refresh-token'
  params: {
    vaultName: vault.name
    name: spotifyRefreshTokenName
    value: spotifyRefreshToken
  }
}

module userIdKeySecret 'keyvault-secret.bicep' = if (!empty(userIdKey)) {
  name: 'secret-user-id-key'
  params: {
    vaultName: vault.name
    name: userIdKeyName
    value: userIdKey
  }
}

// Unversioned URIs: the app follows rotations. Empty when the secret was not provided.
output name string = vault.name
output spotifyClientSecretUri string = empty(spotifyClientSecret) ? '' : '${vault.properties.vaultUri}secrets/${spotifyClientSecretName}'
output spotifyRefreshTokenUri string = empty(spotifyRefreshToken) ? '' : '${vault.properties.vaultUri}secrets/${spotifyRefreshTokenName}'
output userIdKeyUri string = empty(userIdKey) ? '' : '${vault.properties.vaultUri}secrets/${userIdKeyName}'
