// One Key Vault secret (used by keyvault.bicep for each secret parameter that is set).
param vaultName string
param name string

@secure()
param value string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: These secrets have no fixed lifetime (Spotify client secret and refresh token, the pseudonymisation key, which must never change); an expiry date would silently stop the app. Rotate with azd env set + azd provision.
  parent: vault
  name: name
  properties: {
    value: value
    contentType: 'text/plain'
  }
}
