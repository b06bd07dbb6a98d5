// The function app on Flex Consumption (FC1, Linux): Python runtime and scale in functionAppConfig,
// the app package pulled from a blob container with the user-assigned identity, and the app
// settings that settings.py reads (names must match settings.APP_SETTING_NAMES; tests/infra/ checks).
// Settings deprecated on Flex (FUNCTIONS_WORKER_RUNTIME, WEBSITE_RUN_FROM_PACKAGE, ...) are not set.
param name string
param planName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param appInsightsConnectionString string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
param synapseServer string
param synapseDatabase string
param synapsePoolResourceId string
param synapsePauseAfterMinutes string = '30'
param synapsePauseSchedule string = '0 */5 * * * *'
param exportMaxUncompressedMb string = '2048'
param extractSchedule string
param userTimeZone string = 'UTC'

@description('NCRONTAB (UTC) of the weekly analyses: hit model and listening modes.')
param analysisSchedule string = '0 0 4 * * 1'
param spotifyClientId string = ''

@description('Catalog enrichment: milliseconds between catalog requests (settings.py SPOTIFY_REQUEST_INTERVAL_MS).')
param spotifyRequestIntervalMs string = '1000'

@description('Catalog enrichment: catalog requests per run at most (settings.py SPOTIFY_CATALOG_BUDGET).')
param spotifyCatalogBudget string = '500'
param spotifyClientSecretUri string = ''
param spotifyRefreshTokenUri string = ''
param userIdKeyUri string = ''

// The version the tests run the pinned worker on (requirements.txt, tests/worker/); Flex lists 3.13.
@allowed([
  '3.13'
])
param pythonVersion string = '3.13'

@allowed([
  512
  2048
  4096
])
@description('Instance memory: curating a large export holds one Parquet batch in memory.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy for Flex Consumption is regional and not needed for a single-user batch pipeline that retries from storage.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_17: No HTTP-triggered functions; the only inbound call is the Event Grid webhook, which cannot present a client certificate (it carries the blobs_extension key).
  // checkov:skip=CKV_AZURE_222: Event Grid delivers blob events to the public webhook endpoint; no VNet in this deployment.
  // checkov:skip=CKV_AZURE_213: No HTTP endpoint to health-check; triggers are blob (Event Grid), queue and timer.
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand; there is no fixed worker count.
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Names match settings.APP_SETTING_NAMES (tests/infra/test_settings_names.py).
      appSettings: [
        // Host storage, identity-based (no connection string, shared keys are disabled).
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: blobEndpoint
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: queueEndpoint
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: tableEndpoint
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        // The "DataLake" connection (settings.STORAGE_CONNECTION): bindings and the code's own clients.
        // Blob triggers need the queue endpoint too (they queue events internally).
        {
          name: 'DataLake__blobServiceUri'
          value: blobEndpoint
        }
        {
          name: 'DataLake__queueServiceUri'
          value: queueEndpoint
        }
        {
          name: 'DataLake__credential'
          value: 'managedidentity'
        }
        {
          name: 'DataLake__clientId'
          value: identityClientId
        }
        // Scratch space only: in Azure the lake is the storage account.
        {
          name: 'LAKE_DIR'
          value: '/tmp/lake'
        }
        {
          name: 'BLOB_TRIGGER_SOURCE'
          value: 'EventGrid'
        }
        {
          name: 'WAREHOUSE'
          value: 'synapse'
        }
        {
          name: 'SYNAPSE_SERVER'
          value: synapseServer
        }
        {
          name: 'SYNAPSE_DATABASE'
          value: synapseDatabase
        }
        // The pool pauses itself when idle and resumes for loads, through Resource Manager.
        {
          name: 'SYNAPSE_POOL_RESOURCE_ID'
          value: synapsePoolResourceId
        }
        {
          name: 'SYNAPSE_PAUSE_AFTER_MINUTES'
          value: synapsePauseAfterMinutes
        }
        {
          name: 'SYNAPSE_PAUSE_SCHEDULE'
          value: synapsePauseSchedule
        }
        {
          name: 'SYNAPSE_RESUME_POLL_SECONDS'
          value: '60'
        }
        {
          name: 'AZURE_RESOURCE_MANAGER_URL'
          value: environment().resourceManager
        }
        {
          name: 'EXPORT_MAX_UNCOMPRESSED_MB'
          value: exportMaxUncompressedMb
        }
        {
          name: 'USER_ID_KEY'
          value: empty(userIdKeyUri) ? '' : '@Microsoft.KeyVault(SecretUri=${userIdKeyUri})'
        }
        {
          name: 'EXTRACT_SCHEDULE'
          value: extractSchedule
        }
        {
          name: 'USER_TIME_ZONE'
          value: userTimeZone
        }
        {
          name: 'ANALYSIS_SCHEDULE'
          value: analysisSchedule
        }
        {
          name: 'SPOTIFY_CLIENT_ID'
          value: spotifyClientId
        }
        {
          name: 'SPOTIFY_CLIENT_SECRET'
          value: empty(spotifyClientSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${spotifyClientSecretUri})'
        }
        {
          name: 'SPOTIFY_REFRESH_TOKEN'
          value: empty(spotifyRefreshTokenUri) ? '' : '@Microsoft.KeyVault(SecretUri=${spotifyRefreshTokenUri})'
        }
        {
          name: 'SPOTIFY_API_URL'
          value: 'https://api.spotify.com/v1/'
        }
        {
          name: 'SPOTIFY_ACCOUNTS_URL'
          value: 'https://accounts.spotify.com/'
        }
        {
          name: 'SPOTIFY_USER'
          value: 'me'
        }
        // Catalog enrichment's pace: a pause between catalog requests, and a cap per run.
        {
          name: 'SPOTIFY_REQUEST_INTERVAL_MS'
          value: spotifyRequestIntervalMs
        }
        {
          name: 'SPOTIFY_CATALOG_BUDGET'
          value: spotifyCatalogBudget
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
