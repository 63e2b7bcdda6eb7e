/* eslint-env browser */
'use strict';
// Draws the dashboard's two charts from the data- attribute the server rendered (no inline script: the
// console's Content-Security-Policy allows scripts from this server only).
(function() {
  const holder = document.getElementById('charts');
  if (!holder || typeof window.Chart === 'undefined') return;
  const data = JSON.parse(holder.getAttribute('data-charts'));
  function draw(id, label, series, type) {
    const canvas = document.getElementById(id);
    const chart = new window.Chart(canvas, {
      type,
      data: { labels: series.labels, datasets: [{ label, data: series.values, backgroundColor: '#4e79a7', borderColor: '#4e79a7', pointRadius: 0 }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    canvas.setAttribute('data-drawn', String(chart.data.datasets[0].data.length));
  }
  draw('chart-registrations', holder.getAttribute('data-label-registrations'), data.registrations, 'bar');
  draw('chart-messages', holder.getAttribute('data-label-messages'), data.messages, 'line');
})();
