// The warehouse: a Synapse workspace on the lake account, Entra-only authentication with the
// deploying user as admin, and one dedicated SQL pool (DW100c, the smallest) that COPY INTO loads
// from curated/ Parquet over the .dfs endpoint with the workspace's managed identity.
// A dedicated pool bills while online: the app pauses it when idle and resumes it for loads
// (load/pool/, with the custom role in rbac.bicep).
param name string
param location string
param tags object = {}
param storageAccountName string
param filesystemName string

@description('Object id of the Entra admin (the deploying user). Empty: no admin is set.')
param adminObjectId string = ''

@description('Display name recorded for the Entra admin.')
param adminLogin string = 'azd-deployer'

@description('Client IP allowed through the workspace firewall. Empty: Azure services only.')
param clientIpAddress string = ''

param sqlPoolName string = 'spotifydw'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource workspace 'Microsoft.Synapse/workspaces@2021-06-01' = {
  // checkov:skip=CKV_AZURE_157: Exfiltration protection restricts only Synapse-managed compute (Spark, pipelines), which this project does not use; COPY INTO runs in the dedicated pool.
  // checkov:skip=CKV_AZURE_240: Customer-managed keys are out of scope; data is encrypted at rest with Microsoft-managed keys.
  // checkov:skip=CKV_AZURE_58: False positive: checkov 3.3.30 forbids managedVirtualNetwork 'default', which is the value that ENABLES the managed VNet (set below).
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    defaultDataLakeStorage: {
      resourceId: storage.id
      accountUrl: 'https://${storageAccountName}.dfs.${environment().suffixes.storage}'
      filesystem: filesystemName
    }
    azureADOnlyAuthentication: true
    managedVirtualNetwork: 'default'
    publicNetworkAccess: 'Enabled'
    cspWorkspaceAdminProperties: empty(adminObjectId) ? null : {
      initialWorkspaceAdminObjectId: adminObjectId
    }
  }
}

// The Entra admin can create database users for Entra principals (scripts/postprovision.sh).
resource entraAdmin 'Microsoft.Synapse/workspaces/administrators@2021-06-01' = if (!empty(adminObjectId)) {
  parent: workspace
  name: 'activeDirectory'
  properties: {
    administratorType: 'ActiveDirectory'
    login: adminLogin
    sid: adminObjectId
    tenantId: subscription().tenantId
  }
}

resource minimalTls 'Microsoft.Synapse/workspaces/dedicatedSQLminimalTlsSettings@2021-06-01' = {
  parent: workspace
  name: 'default'
  properties: {
    minimalTlsVersion: '1.2'
  }
}

// 0.0.0.0-0.0.0.0 is the documented rule for "Azure services", the Flex app included (no VNet).
resource allowAzure 'Microsoft.Synapse/workspaces/firewallRules@2021-06-01' = {
  parent: workspace
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowClient 'Microsoft.Synapse/workspaces/firewallRules@2021-06-01' = if (!empty(clientIpAddress)) {
  parent: workspace
  name: 'AllowClientIp'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
}

resource sqlPool 'Microsoft.Synapse/workspaces/sqlPools@2021-06-01' = {
  parent: workspace
  name: sqlPoolName
  location: location
  tags: tags
  sku: {
    name: 'DW100c'
  }
  properties: {
    collation: 'SQL_Latin1_General_CP1_CI_AS'
    createMode: 'Default'
  }
}

output name string = workspace.name
output principalId string = workspace.identity.principalId
// <workspace>.sql.azuresynapse.net: the dedicated pools' endpoint (serverless is -ondemand).
output sqlServer string = workspace.properties.connectivityEndpoints.sql
output sqlPoolName string = sqlPool.name
// What the app pauses and resumes through Resource Manager (SYNAPSE_POOL_RESOURCE_ID).
output sqlPoolId string = sqlPool.id
