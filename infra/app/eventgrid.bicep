// The Event Grid system topic on the lake account. Its two subscriptions (upload/ -> accept_upload,
// raw/ -> curate_raw) are created by scripts/postdeploy.sh: the webhook needs the blobs_extension
// key, which exists only once the deployed code has registered its blob triggers.
param name string
param location string
param tags object = {}
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
