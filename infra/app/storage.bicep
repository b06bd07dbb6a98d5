// The lake: one ADLS Gen2 (hierarchical namespace) account holding the data containers, the load
// queue, the function host's own state and the Flex deployment package. Identity access only.
// Container and queue names are the contract in settings.py (tests/infra/ checks they agree).
param name string
param location string
param tags object = {}
param deploymentContainerName string
param synapseFilesystemName string

@minValue(1)
@description('Days before upload/, raw/exports/ and quarantine/ blobs (personal data) are deleted.')
param personalDataRetentionDays int = 30

// contracts/layout.py: CONTAINERS, LOAD_QUEUE and ANALYSIS_QUEUE.
var dataContainerNames = [
  'upload'
  'raw'
  'curated'
  'quarantine'
  'state'
  'models'
]
var loadQueueName = 'curated-loads'
var analysisQueueName = 'analysis-requests'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Flex Consumption without VNet integration, Event Grid webhooks and Synapse COPY reach the account over its public endpoint; access is Entra-only (allowSharedKeyAccess false).
  // checkov:skip=CKV_AZURE_59: Same reason: no VNet/private endpoints in this single-user deployment, so public network access stays enabled with shared keys disabled.
  // checkov:skip=CKV_AZURE_206: Locally redundant on purpose: a personal lake whose raw input can be re-uploaded; geo-replication would double the cost of the largest resource.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: true
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource dataContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in dataContainerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

// Flex Consumption pulls the app package from here (functionAppConfig.deployment.storage).
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The Synapse workspace's default filesystem (defaultDataLakeStorage).
resource synapseFilesystem 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: synapseFilesystemName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// curate_raw writes one message per curated batch; load_curated reads it. The host creates
// curated-loads-poison itself after maxDequeueCount failures.
resource loadQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: loadQueueName
}

// request_analyses (weekly timer) writes one message; run_analyses reads it, waiting for the SQL pool
// as loads do (re-queued with a delay while it resumes).
resource analysisQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: analysisQueueName
}

// Uploaded exports, their raw copies and refused uploads hold personal data: keep them only as long
// as needed to curate and re-curate; curated data carries pseudonymous user ids only.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-personal-data'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                'upload/'
                'raw/exports/'
                'quarantine/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: personalDataRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output dfsEndpoint string = storage.properties.primaryEndpoints.dfs
