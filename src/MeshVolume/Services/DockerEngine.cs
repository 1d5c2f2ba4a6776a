using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.X509;

namespace MeshVolume.Services
{
    /// <summary>
    /// A connection to one Docker engine: the endpoint chosen from -DockerHost, DOCKER_HOST or
    /// the platform default, TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, and an API
    /// version both sides speak.
    /// </summary>
    public sealed class DockerEngine : IDisposable
    {
        // Oldest API version the module needs (Docker 20.10); newer engines are asked for
        // their own version, capped at the newest version the client library supports.
        private static readonly Version MinimumApiVersion = new Version(1, 41);
        private static readonly Version MaximumApiVersion = new Version(1, 51);

        private DockerEngine(Uri endpoint, DockerClient client, Version apiVersion, string version)
        {
            Endpoint = endpoint;
            Client = client;
            ApiVersion = apiVersion;
            EngineVersion = version;
        }

        /// <summary>Engine endpoint, such as unix:///var/run/docker.sock.</summary>
        public Uri Endpoint { get; }

        /// <summary>Client bound to the negotiated API version.</summary>
        public DockerClient Client { get; }

        /// <summary>API version used for every request.</summary>
        public Version ApiVersion { get; }

        /// <summary>Version string the engine reports, such as 20.10.24.</summary>
        public string EngineVersion { get; }

        /// <summary>True when the engine runs on this machine, reached through a local socket.</summary>
        public bool IsLocal =>
            Endpoint.Scheme == "unix" || Endpoint.Scheme == "npipe";

        /// <summary>Endpoint as a user would write it in DOCKER_HOST.</summary>
        public string Name => Endpoint.Scheme == "unix"
            ? "unix://" + Endpoint.AbsolutePath
            : Endpoint.ToString().TrimEnd('/');

        /// <summary>Resolves the endpoint: the parameter, else DOCKER_HOST, else the default.</summary>
        public static Uri ResolveEndpoint(string dockerHost)
        {
            string host = dockerHost;
            if (string.IsNullOrWhiteSpace(host))
            {
                host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            }

            if (string.IsNullOrWhiteSpace(host))
            {
                host = RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                    ? "npipe://./pipe/docker_engine"
                    : "unix:///var/run/docker.sock";
            }

            if (host.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
            {
                bool tls = IsTlsRequested();
                host = (tls ? "https://" : "http://") + host.Substring("tcp://".Length);
            }

            if (!Uri.TryCreate(host, UriKind.Absolute, out Uri uri))
            {
                throw new MeshVolumeException(
                    $"The Docker host '{host}' is not a valid endpoint. Use a form such as " +
                    "unix:///var/run/docker.sock, npipe://./pipe/docker_engine or tcp://HOST:2376.",
                    MeshErrors.EngineUnreachable, ErrorCategory.InvalidArgument);
            }

            return uri;
        }

        /// <summary>
        /// Connects to the engine and negotiates the API version. An unreachable engine is a
        /// <see cref="MeshVolumeException"/> naming the endpoint and how to choose another.
        /// </summary>
        public static async Task<DockerEngine> ConnectAsync(
            string dockerHost, CancellationToken cancellationToken)
        {
            Uri endpoint = ResolveEndpoint(dockerHost);
            var timeout = TimeSpan.FromSeconds(10);
            using (DockerClient probe = Build(endpoint, null, timeout))
            {
                Docker.DotNet.Models.VersionResponse version;
                try
                {
                    using (var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(
                        cancellationToken))
                    {
                        probeTimeout.CancelAfter(timeout);
                        version = await probe.System.GetVersionAsync(probeTimeout.Token)
                            .ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested &&
                    IsConnectionFailure(ex))
                {
                    throw Unreachable(endpoint, ex);
                }

                Version api = ChooseApiVersion(version.APIVersion);
                DockerClient client = Build(endpoint, api, TimeSpan.FromMinutes(5));
                return new DockerEngine(endpoint, client, api, version.Version);
            }
        }

        private static bool IsConnectionFailure(Exception ex)
        {
            if (ex is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.All(IsConnectionFailure);
            }

            return ex is HttpRequestException || ex is IOException || ex is TimeoutException ||
                ex is OperationCanceledException || ex is DockerApiException ||
                ex is System.Net.Sockets.SocketException;
        }

        private static Version ChooseApiVersion(string engineApiVersion)
        {
            if (!Version.TryParse(engineApiVersion, out Version engine))
            {
                return MinimumApiVersion;
            }

            if (engine < MinimumApiVersion)
            {
                throw new MeshVolumeException(
                    $"The Docker engine speaks API {engine}, older than the {MinimumApiVersion} " +
                    "this module needs (Docker 20.10 or newer). Upgrade the engine.",
                    MeshErrors.EngineUnreachable, ErrorCategory.NotImplemented);
            }

            return engine > MaximumApiVersion ? MaximumApiVersion : engine;
        }

        private static DockerClient Build(Uri endpoint, Version apiVersion, TimeSpan timeout)
        {
            var builder = new DockerClientBuilder().WithEndpoint(endpoint).WithTimeout(timeout);
            if (apiVersion != null)
            {
                builder = builder.WithApiVersion(apiVersion);
            }

            CertificateCredentials credentials = LoadTlsCredentials(endpoint);
            if (credentials != null)
            {
                builder = builder.WithAuthProvider(credentials);
            }

            return builder.Build();
        }

        private static bool IsTlsRequested()
        {
            string verify = Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY");
            return !string.IsNullOrEmpty(verify) && verify != "0";
        }

        private static CertificateCredentials LoadTlsCredentials(Uri endpoint)
        {
            if (endpoint.Scheme != "https")
            {
                return null;
            }

            string certPath = Environment.GetEnvironmentVariable("DOCKER_CERT_PATH");
            if (string.IsNullOrEmpty(certPath))
            {
                certPath = Path.Combine(
                    Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
            }

            string pfx = Path.Combine(certPath, "key.pfx");
            string cert = Path.Combine(certPath, "cert.pem");
            string key = Path.Combine(certPath, "key.pem");
            X509Certificate2 certificate;
            if (File.Exists(pfx))
            {
                certificate = new X509Certificate2(pfx);
            }
            else if (File.Exists(cert) && File.Exists(key))
            {
                certificate = PemCertificate.Load(cert, key);
            }
            else
            {
                throw new MeshVolumeException(
                    $"TLS is requested for {endpoint} but no client certificate was found in " +
                    $"'{certPath}'. Put cert.pem and key.pem (or key.pfx) there, or set " +
                    "DOCKER_CERT_PATH.", MeshErrors.EngineUnreachable,
                    ErrorCategory.AuthenticationError);
            }

            return new CertificateCredentials(certificate);
        }

        private static MeshVolumeException Unreachable(Uri endpoint, Exception inner)
        {
            string name = endpoint.Scheme == "unix" ? "unix://" + endpoint.AbsolutePath
                : endpoint.ToString();
            return new MeshVolumeException(
                $"Cannot reach the Docker engine at {name}: " +
                $"{inner.GetBaseException().Message.TrimEnd('.')}. " +
                "Check that the engine is running, or choose another with -DockerHost or the " +
                "DOCKER_HOST environment variable.",
                MeshErrors.EngineUnreachable, ErrorCategory.ConnectionError, inner);
        }

        public void Dispose()
        {
            Client.Dispose();
        }
    }
}
