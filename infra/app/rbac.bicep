// Every grant, in one place. The function's identity gets exactly what its bindings and code use,
// and a custom role on the SQL pool to pause and resume it; the Synapse workspace identity reads
// the lake for COPY INTO; the deploying user may upload exports and re-queue poisoned messages.
// Names are guid(scope, principal, role) so re-provisioning is idempotent.
param storageAccountName string
param keyVaultName string
param appInsightsName string
param functionPrincipalId string
param synapsePrincipalId string
param synapseWorkspaceName string
param sqlPoolName string

@description('Makes the custom role\'s name unique in the tenant (role names are tenant-wide).')
param roleNameSuffix string

@description('Deploying user; gets Storage Blob Data Contributor (uploads) and Storage Queue Data Contributor (python -m cli requeue). Empty: skipped.')
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

// Storage Blob Data Owner: blob triggers, lake reads/writes and host state (blob trigger docs require Owner).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Queue Data Contributor: the load queue trigger/output, the blob trigger's internal queues,
// and the deploying user's `python -m cli requeue`.
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor: AzureWebJobsStorage__tableServiceUri (host diagnostics events on Flex).
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Storage Blob Data Contributor: Synapse COPY INTO with IDENTITY = 'Managed Identity'; the user's uploads.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
// Key Vault Secrets User: resolve @Microsoft.KeyVault(...) app settings.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
// Monitoring Metrics Publisher: Entra-authenticated telemetry to Application Insights (DisableLocalAuth).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

// The least the app needs to pause the pool when idle and resume it for loads (load/pool/arm.py):
// read its status, pause, resume. No scale, no delete, nothing on the workspace.
var poolControlActions = [
  'Microsoft.Synapse/workspaces/sqlPools/read'
  'Microsoft.Synapse/workspaces/sqlPools/pause/action'
  'Microsoft.Synapse/workspaces/sqlPools/resume/action'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource workspace 'Microsoft.Synapse/workspaces@2021-06-01' existing = {
  name: synapseWorkspaceName
}

resource sqlPool 'Microsoft.Synapse/workspaces/sqlPools@2021-06-01' existing = {
  parent: workspace
  name: sqlPoolName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource functionBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
  }
}

resource functionQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
  }
}

resource functionTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}

resource functionSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource functionMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

resource synapseBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, synapsePrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: synapsePrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

// A custom role (tenant-unique GUID and name), assignable only in this resource group.
resource poolControlRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'sql-pool-pause-resume')
  properties: {
    roleName: 'SQL pool pause and resume (${roleNameSuffix})'
    description: 'Read, pause and resume a Synapse dedicated SQL pool; nothing else (spotify-lake).'
    type: 'CustomRole'
    permissions: [
      {
        actions: poolControlActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// Assigned at the pool itself: the app can touch this one pool only.
resource functionPoolControl 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(sqlPool.id, functionPrincipalId, poolControlRole.id)
  scope: sqlPool
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: poolControlRole.id
  }
}

resource deployerQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(storage.id, deployerPrincipalId, storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
  }
}

resource deployerBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(storage.id, deployerPrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}
