using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3.Model;

namespace MeshVolume.Services.Repository
{
    /// <summary>Body of a GetObject response. Disposing it releases the HTTP connection.</summary>
    internal sealed class S3DownloadStream : Stream
    {
        private readonly GetObjectResponse _response;
        private readonly Stream _body;

        public S3DownloadStream(GetObjectResponse response)
        {
            _response = response;
            _body = response.ResponseStream;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        /// <summary>Object size from the Content-Length header.</summary>
        public override long Length => _response.ContentLength;

        public override long Position
        {
            get => throw new System.NotSupportedException();
            set => throw new System.NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            return _body.Read(buffer, offset, count);
        }

        public override Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            return _body.ReadAsync(buffer, offset, count, cancellationToken);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            throw new System.NotSupportedException();
        }

        public override void SetLength(long value)
        {
            throw new System.NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            throw new System.NotSupportedException();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _body.Dispose();
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
