export default function HomePage() {
  return (
    <main>
      <h1>Durably</h1>
      <p>The dashboard is on its way. The API is served at /api/trpc.</p>
    </main>
  );
}
