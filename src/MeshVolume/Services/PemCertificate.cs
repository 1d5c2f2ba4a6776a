using System;
using System.Management.Automation;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;

namespace MeshVolume.Services
{
    /// <summary>Loads a client certificate from the PEM files that Docker's TLS setup uses.</summary>
    internal static class PemCertificate
    {
        // X509Certificate2.CreateFromPemFile exists on .NET 5 and later (PowerShell 7) but not
        // in netstandard2.0, so it is found at run time.
        public static X509Certificate2 Load(string certificatePath, string keyPath)
        {
            MethodInfo create = typeof(X509Certificate2).GetMethod(
                "CreateFromPemFile", new[] { typeof(string), typeof(string) });
            if (create == null)
            {
                throw new MeshVolumeException(
                    "This PowerShell cannot read PEM certificates (Windows PowerShell 5.1). " +
                    "Convert cert.pem and key.pem into key.pfx in DOCKER_CERT_PATH, for example " +
                    "with 'openssl pkcs12 -export -inkey key.pem -in cert.pem -out key.pfx'.",
                    MeshErrors.EngineUnreachable, ErrorCategory.NotImplemented);
            }

            var pem = (X509Certificate2)create.Invoke(null, new object[] { certificatePath, keyPath });

            // Windows's TLS stack needs the key in a persisted form, which a PKCS#12 round trip gives.
            return new X509Certificate2(pem.Export(X509ContentType.Pkcs12));
        }
    }
}
