using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// A repository under a prefix of an S3 bucket, on AWS or on an S3-compatible server.
    /// Object keys are the repository keys below the prefix.
    /// </summary>
    public sealed class S3Repository : IBackupRepository
    {
        /// <summary>Scheme that marks a repository location as S3.</summary>
        public const string LocationScheme = "s3://";

        private readonly S3Connection _connection;

        /// <summary>Opens a repository at s3://bucket/prefix without sending a request.</summary>
        public S3Repository(string location, S3RepositoryOptions options)
        {
            ParseLocation(location, out string bucketName, out string prefix);
            BucketName = bucketName;
            Prefix = prefix;
            Location = LocationScheme + bucketName + (prefix.Length > 0 ? "/" + prefix : "");
            _connection = S3Connection.Create(options);
        }

        public string Location { get; }

        public string BucketName { get; }

        /// <summary>Key prefix without leading or trailing '/', empty for a whole bucket.</summary>
        public string Prefix { get; }

        /// <summary>Custom endpoint URL, or null for AWS S3.</summary>
        public string Endpoint => _connection.Endpoint;

        /// <summary>Region used for signing requests.</summary>
        public string Region => _connection.Region;

        /// <summary>Where the credentials come from, in words.</summary>
        public string CredentialSource => _connection.CredentialSource;

        internal AmazonS3Client Client => _connection.Client;

        /// <summary>Returns true for locations that start with s3:// (any letter case).</summary>
        public static bool IsS3Location(string location)
        {
            return location != null
                && location.StartsWith(LocationScheme, StringComparison.OrdinalIgnoreCase);
        }

        public async Task CheckAccessAsync(CancellationToken cancellationToken)
        {
            var request = new ListObjectsV2Request
            {
                BucketName = BucketName,
                Prefix = GetObjectPrefix(string.Empty),
                MaxKeys = 1,
            };
            await CallAsync(
                "list", null, () => Client.ListObjectsV2Async(request, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }

        public Task<RepositoryUpload> OpenUploadAsync(
            string key, CancellationToken cancellationToken)
        {
            string objectKey = GetObjectKey(key);
            return Task.FromResult<RepositoryUpload>(
                new S3MultipartUpload(this, key, objectKey, cancellationToken));
        }

        public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            var request = new GetObjectRequest { BucketName = BucketName, Key = GetObjectKey(key) };
            GetObjectResponse response = await CallAsync(
                "read", key, () => Client.GetObjectAsync(request, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            return new S3DownloadStream(response);
        }

        public Task WriteAllBytesAsync(
            string key, byte[] content, CancellationToken cancellationToken)
        {
            return PutObjectAsync(
                key, GetObjectKey(key), content, content.Length, cancellationToken);
        }

        public async Task<byte[]> ReadAllBytesAsync(string key, CancellationToken cancellationToken)
        {
            Stream stream = await OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            using (stream)
            using (var content = new MemoryStream())
            {
                await CallAsync(
                    "read", key,
                    async () =>
                    {
                        await stream.CopyToAsync(content, 81920, cancellationToken)
                            .ConfigureAwait(false);
                        return true;
                    },
                    cancellationToken).ConfigureAwait(false);
                return content.ToArray();
            }
        }

        public async Task<IReadOnlyList<RepositoryObject>> ListAsync(
            string prefix, CancellationToken cancellationToken)
        {
            prefix = prefix ?? string.Empty;
            RepositoryKey.ValidatePrefix(prefix);
            var request = new ListObjectsV2Request
            {
                BucketName = BucketName,
                Prefix = GetObjectPrefix(prefix),
            };
            int rootLength = GetObjectPrefix(string.Empty).Length;
            var objects = new List<RepositoryObject>();
            do
            {
                ListObjectsV2Response response = await CallAsync(
                    "list", prefix, () => Client.ListObjectsV2Async(request, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
                foreach (S3Object item in response.S3Objects ?? new List<S3Object>())
                {
                    // Zero-byte keys ending in '/' are folder markers that some tools create.
                    if (item.Key.EndsWith("/", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    objects.Add(new RepositoryObject
                    {
                        Key = item.Key.Substring(rootLength),
                        Size = item.Size ?? 0,
                        LastModifiedUtc =
                            (item.LastModified ?? DateTime.MinValue).ToUniversalTime(),
                    });
                }

                request.ContinuationToken = response.IsTruncated == true
                    ? response.NextContinuationToken
                    : null;
            }
            while (request.ContinuationToken != null);

            return objects;
        }

        public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
        {
            var request = new GetObjectMetadataRequest
            {
                BucketName = BucketName,
                Key = GetObjectKey(key),
            };
            try
            {
                await Client.GetObjectMetadataAsync(request, cancellationToken)
                    .ConfigureAwait(false);
                return true;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                // A HEAD response has no body, so a missing bucket looks like a missing key:
                // list the bucket to tell them apart.
                await CheckAccessAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (Exception ex) when (IsTranslatable(ex, cancellationToken))
            {
                throw TranslateError(ex, "check", key);
            }
        }

        public async Task DeleteAsync(string key, CancellationToken cancellationToken)
        {
            var request = new DeleteObjectRequest
            {
                BucketName = BucketName,
                Key = GetObjectKey(key),
            };
            await CallAsync(
                "delete", key, () => Client.DeleteObjectAsync(request, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }

        public void Dispose()
        {
            _connection.Dispose();
        }

        /// <summary>Stores content in one PutObject request.</summary>
        internal async Task PutObjectAsync(
            string key, string objectKey, byte[] content, int length,
            CancellationToken cancellationToken)
        {
            await CallAsync(
                "write", key,
                async () =>
                {
                    using (var stream = new MemoryStream(content, 0, length, writable: false))
                    {
                        var request = new PutObjectRequest
                        {
                            BucketName = BucketName,
                            Key = objectKey,
                            InputStream = stream,
                            AutoCloseStream = false,
                        };
                        return await Client.PutObjectAsync(request, cancellationToken)
                            .ConfigureAwait(false);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }

        internal string GetObjectKey(string key)
        {
            RepositoryKey.Validate(key);
            return GetObjectPrefix(key);
        }

        private string GetObjectPrefix(string relativePrefix)
        {
            return Prefix.Length == 0 ? relativePrefix : Prefix + "/" + relativePrefix;
        }

        /// <summary>
        /// Runs one SDK call and turns its failures into errors that name the bucket, the
        /// endpoint or the credentials. Cancellation by the caller's token passes through.
        /// </summary>
        private async Task<T> CallAsync<T>(
            string action, string key, Func<Task<T>> call, CancellationToken cancellationToken)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTranslatable(ex, cancellationToken))
            {
                throw TranslateError(ex, action, key);
            }
        }

        /// <summary>
        /// True unless the exception is already translated or is the caller's cancellation.
        /// </summary>
        internal static bool IsTranslatable(Exception ex, CancellationToken cancellationToken)
        {
            if (ex is MeshVolumeException)
            {
                return false;
            }

            return !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);
        }

        /// <summary>Builds the error for a failed S3 request.</summary>
        internal MeshVolumeException TranslateError(Exception error, string action, string key)
        {
            string target = key == null
                ? $"repository {Location}"
                : $"'{key}' in repository {Location}";
            string endpoint = _connection.EndpointDescription;

            if (error is AmazonServiceException service && !IsConnectionFailure(error))
            {
                return TranslateServiceError(service, action, key, target, endpoint);
            }

            if (IsConnectionFailure(error))
            {
                return new MeshVolumeException(
                    $"Could not reach the S3 endpoint {endpoint} to {action} {target}: " +
                    $"{GetInnermostMessage(error)} Check that the server is running and that " +
                    "-Endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL names it correctly.",
                    MeshErrors.RepositoryUnreachable, ErrorCategory.ConnectionError, error);
            }

            if (error is AmazonClientException
                && error.Message.IndexOf("credential", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return new MeshVolumeException(
                    $"No usable AWS credentials were found in {_connection.CredentialSource} " +
                    $"({error.Message}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass " +
                    "-ProfileName, or configure a default profile.",
                    MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, error);
            }

            return new MeshVolumeException(
                $"Could not {action} {target} at {endpoint}: {error.Message}",
                MeshErrors.RepositoryAccessFailed, ErrorCategory.NotSpecified, error);
        }

        private MeshVolumeException TranslateServiceError(
            AmazonServiceException error, string action, string key, string target,
            string endpoint)
        {
            string code = error.ErrorCode ?? error.StatusCode.ToString();
            string keyId = _connection.AccessKeyId == null ? "" : $" '{_connection.AccessKeyId}'";
            string credentials = _connection.CredentialSource;
            switch (code)
            {
                case "NoSuchBucket":
                    return new MeshVolumeException(
                        $"The bucket '{BucketName}' does not exist at {endpoint}. Create it, " +
                        $"for example with 'aws s3 mb s3://{BucketName}', or correct the " +
                        $"repository location {Location}.",
                        MeshErrors.RepositoryNotFound, ErrorCategory.ObjectNotFound, error);
                case "NoSuchKey":
                    return new MeshVolumeException(
                        $"The object {target} does not exist.",
                        MeshErrors.RepositoryObjectNotFound, ErrorCategory.ObjectNotFound, error);
                case "InvalidAccessKeyId":
                    return new MeshVolumeException(
                        $"The S3 server at {endpoint} does not know the access key{keyId} from " +
                        $"{credentials}. Check the access key, or choose other credentials " +
                        "with -ProfileName or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
                        MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, error);
                case "SignatureDoesNotMatch":
                    return new MeshVolumeException(
                        $"The S3 server at {endpoint} rejected the request signature: the secret " +
                        $"key from {credentials} does not match the access key{keyId}. Check " +
                        "the secret key.",
                        MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, error);
                case "ExpiredToken":
                case "InvalidToken":
                case "TokenRefreshRequired":
                    return new MeshVolumeException(
                        $"The session token from {credentials} has expired or is invalid " +
                        $"({code}). Renew the temporary credentials.",
                        MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, error);
                case "PermanentRedirect":
                case "AuthorizationHeaderMalformed":
                    return new MeshVolumeException(
                        $"The bucket '{BucketName}' is not in region {_connection.Region} " +
                        $"({code}). Pass the bucket's region to -Region.",
                        MeshErrors.RepositoryAccessFailed, ErrorCategory.InvalidArgument, error);
            }

            if (code == "AccessDenied" || code == "AllAccessDisabled"
                || error.StatusCode == HttpStatusCode.Forbidden)
            {
                return new MeshVolumeException(
                    $"Access denied ({code}) to {action} {target} at {endpoint}, with " +
                    $"credentials from {credentials}. Check that these credentials may read " +
                    $"and write bucket '{BucketName}'.",
                    MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, error);
            }

            if (key != null && error.StatusCode == HttpStatusCode.NotFound)
            {
                return new MeshVolumeException(
                    $"The object {target} does not exist.",
                    MeshErrors.RepositoryObjectNotFound, ErrorCategory.ObjectNotFound, error);
            }

            // Some servers, radosgw among them, send error codes without a message.
            string detail = string.IsNullOrWhiteSpace(error.Message)
                ? $"{code}, HTTP {(int)error.StatusCode}"
                : $"{error.Message.TrimEnd('.')} ({code}, HTTP {(int)error.StatusCode})";
            return new MeshVolumeException(
                $"Could not {action} {target} at {endpoint}: {detail}.",
                MeshErrors.RepositoryAccessFailed, ErrorCategory.NotSpecified, error);
        }

        /// <summary>
        /// True when the request never got an HTTP response: refused or reset connections,
        /// name resolution failures and time-outs, which the SDK may wrap in its own types.
        /// </summary>
        private static bool IsConnectionFailure(Exception error)
        {
            for (Exception current = error; current != null; current = current.InnerException)
            {
                if (current is HttpRequestException || current is SocketException
                    || current is WebException || current is TaskCanceledException
                    || current is TimeoutException)
                {
                    return true;
                }
            }

            return false;
        }

        private static string GetInnermostMessage(Exception error)
        {
            Exception current = error;
            while (current.InnerException != null)
            {
                current = current.InnerException;
            }

            string message = current.Message.TrimEnd();
            return message.EndsWith(".", StringComparison.Ordinal) ? message : message + ".";
        }

        private static void ParseLocation(string location, out string bucketName, out string prefix)
        {
            if (!IsS3Location(location))
            {
                throw InvalidLocation(location, "it does not start with s3://.");
            }

            string path = location.Substring(LocationScheme.Length);
            int slash = path.IndexOf('/');
            bucketName = slash < 0 ? path : path.Substring(0, slash);
            prefix = slash < 0 ? string.Empty : path.Substring(slash + 1).Trim('/');
            if (bucketName.Length == 0)
            {
                throw InvalidLocation(location, "the bucket name is missing.");
            }

            if (prefix.Length > 0)
            {
                try
                {
                    RepositoryKey.Validate(prefix);
                }
                catch (ArgumentException ex)
                {
                    throw InvalidLocation(location, ex.Message);
                }
            }
        }

        private static MeshVolumeException InvalidLocation(string location, string problem)
        {
            return new MeshVolumeException(
                $"The S3 repository location '{location}' is invalid: {problem} Use the form " +
                "s3://bucket or s3://bucket/prefix.",
                MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument);
        }
    }
}
