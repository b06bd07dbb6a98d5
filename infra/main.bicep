// Everything `azd up` provisions: one resource group holding the lake, the function app, the
// warehouse and their wiring. Each concern is a local module under infra/app/; no registry modules,
// so the whole template can be parsed and security-scanned offline (tests/infra/).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource (a region with Flex Consumption and Synapse).')
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID): Synapse Entra admin, lake uploader.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('Kind of principal principalId is (a CI pipeline deploys as a ServicePrincipal).')
param principalType string = 'User'

@description('Display name recorded for the Synapse Entra admin (the deploying user).')
param principalLogin string = 'azd-deployer'

@description('Public IP of your machine, to reach the Synapse SQL endpoint (postprovision, ad-hoc queries). Empty: none.')
param clientIpAddress string = ''

@description('NCRONTAB (UTC on Flex) for the Spotify Web API extract; hourly is recommended: 0 0 * * * *.')
param extractSchedule string = '0 0 6 * * *'

@description('Your home time zone (IANA name, e.g. Europe/Berlin): local dates and hours in the views and reports.')
param userTimeZone string = 'UTC'

@description('NCRONTAB (UTC) of the weekly analyses (hit model, listening modes); settings.py ANALYSIS_SCHEDULE.')
param analysisSchedule string = '0 0 4 * * 1'

@description('Spotify app client id (not a secret).')
param spotifyClientId string = ''

@description('Milliseconds between catalog requests of the enrichment (settings.py SPOTIFY_REQUEST_INTERVAL_MS). Lower only with extended quota or for a one-off back-fill: Spotify answers bursts with 429s and Retry-After of hours. A string: azd passes environment values as text.')
param spotifyRequestIntervalMs string = '1000'

@description('Catalog requests per run at most (settings.py SPOTIFY_CATALOG_BUDGET); what is left resumes next run.')
param spotifyCatalogBudget string = '500'

@secure()
@description('Spotify app client secret, stored in Key Vault. Empty: the API extract stays off.')
param spotifyClientSecret string = ''

@secure()
@description('Spotify refresh token for the listening user, stored in Key Vault.')
param spotifyRefreshToken string = ''

@secure()
@description('Key for pseudonymous user ids (openssl rand -hex 32), stored in Key Vault. Empty: generated into the lake.')
param userIdKey string = ''

@description('Minutes without a load after which the app pauses the SQL pool; 0 turns the automatic pause off. A string: azd passes environment values as text.')
param synapsePauseAfterMinutes string = '30'

@description('NCRONTAB (UTC) of the check that pauses the idle SQL pool.')
param synapsePauseSchedule string = '0 */5 * * * *'

@description('MiB that the history files of one export may add up to, uncompressed; a bigger export is refused. 2048 holds ~3M streams. A string: azd passes environment values as text.')
param exportMaxUncompressedMb string = '2048'

@allowed([
  'false'
  'true'
])
@description('Key Vault purge protection, irreversible once on. Off (default): `azd down --purge` deletes the vault and its name is free again. On: the name stays reserved 7 days after a delete.')
param keyVaultPurgeProtection string = 'false'

@minValue(1)
@description('Days before uploaded exports (upload/), raw export files (raw/exports/) and refused uploads (quarantine/) are deleted: personal data.')
param personalDataRetentionDays int = 30

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// The service name in azure.yaml; azd finds the function app to deploy to by this tag.
var serviceName = 'functions'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var synapseFilesystemName = 'synapse'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-func-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    synapseFilesystemName: synapseFilesystemName
    personalDataRetentionDays: personalDataRetentionDays
  }
}

module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    spotifyClientSecret: spotifyClientSecret
    spotifyRefreshToken: spotifyRefreshToken
    userIdKey: userIdKey
    purgeProtection: keyVaultPurgeProtection
  }
}

module synapse 'app/synapse.bicep' = {
  name: 'synapse'
  scope: rg
  params: {
    name: 'synw-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    filesystemName: synapseFilesystemName
    adminObjectId: principalId
    adminLogin: principalLogin
    clientIpAddress: clientIpAddress
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    functionPrincipalId: identity.outputs.principalId
    synapsePrincipalId: synapse.outputs.principalId
    synapseWorkspaceName: synapse.outputs.name
    sqlPoolName: synapse.outputs.sqlPoolName
    roleNameSuffix: resourceToken
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, {
      'azd-service-name': serviceName
    })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    synapseServer: synapse.outputs.sqlServer
    synapseDatabase: synapse.outputs.sqlPoolName
    synapsePoolResourceId: synapse.outputs.sqlPoolId
    synapsePauseAfterMinutes: synapsePauseAfterMinutes
    synapsePauseSchedule: synapsePauseSchedule
    exportMaxUncompressedMb: exportMaxUncompressedMb
    extractSchedule: extractSchedule
    userTimeZone: userTimeZone
    analysisSchedule: analysisSchedule
    spotifyClientId: spotifyClientId
    spotifyRequestIntervalMs: spotifyRequestIntervalMs
    spotifyCatalogBudget: spotifyCatalogBudget
    spotifyClientSecretUri: keyVault.outputs.spotifyClientSecretUri
    spotifyRefreshTokenUri: keyVault.outputs.spotifyRefreshTokenUri
    userIdKeyUri: keyVault.outputs.userIdKeyUri
  }
}

// azd stores these in .azure/<env>/.env; the hooks in scripts/ read them with `azd env get-values`.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_EVENTGRID_TOPIC_NAME string = eventGrid.outputs.name
output AZURE_FUNCTION_IDENTITY_NAME string = identity.outputs.name
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output SYNAPSE_WORKSPACE_NAME string = synapse.outputs.name
output SYNAPSE_SERVER string = synapse.outputs.sqlServer
output SYNAPSE_DATABASE string = synapse.outputs.sqlPoolName
output SYNAPSE_POOL_RESOURCE_ID string = synapse.outputs.sqlPoolId
